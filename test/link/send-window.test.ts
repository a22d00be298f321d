// The go-back-N sender's NAK handling, without a port: a NAK resends at once, its echoes (NAKs about copies written
// before the newest copy of the oldest frame) do not, and a NAK about a copy of the resend means the resend was lost.
import t from 'tap';
import { SendWindow } from '../../host/link/send-window.ts';

function window() {
  const writes: number[] = [];
  const acked: number[] = [];
  const w = new SendWindow({
    write: (b) => writes.push(b[1]!), // the seq byte
    onAcked: (seq) => acked.push(seq),
    onGiveUp: () => undefined,
    streamAckDelayMs: () => 5,
    now: () => 0, // a frozen clock: nothing here may depend on time
  });
  t.teardown(() => w.stop());
  w.reset(0, 255);
  return { w, writes, acked };
}

t.test('a NAK resends the window at once; echoes of the same loss do not; a NAK about the resend does', async (t) => {
  const { w, writes } = window();
  for (let i = 0; i < 3; i++) w.send(Uint8Array.of(0x0f), true);
  t.same(writes, [0, 1, 2]);
  w.nak(0, 1); // frame 0 lost: the MCU dropped 1
  t.same(writes, [0, 1, 2, 0, 1, 2], 'resent from the acked seq at once, with no timer');
  w.nak(0, 2); // the MCU also dropped the first copy of 2: the same loss
  t.same(writes.length, 6, 'an echo resends nothing');
  w.nak(0, 1); // the MCU dropped the second copy of 1: the resent 0 was lost too
  t.same(writes, [0, 1, 2, 0, 1, 2, 0, 1, 2], 'a NAK about a copy written after the newest copy of 0 resends');
  t.equal(w.stats().naks, 2);
});

t.test('a NAK that also acks moves the window first; stale NAKs are ignored', async (t) => {
  const { w, writes, acked } = window();
  for (let i = 0; i < 4; i++) w.send(Uint8Array.of(0x0f), true);
  w.nak(2, 3); // 0 and 1 applied, 2 lost, 3 dropped
  t.same(acked, [0, 1]);
  t.same(writes.slice(4), [2, 3], 'only what is still in flight is resent');
  w.nak(2, 1); // names a frame already acked: stale
  w.nak(9, 10); // outside the window
  t.equal(writes.length, 6);
  t.equal(w.stats().badAcks, 1);
  w.ack(4);
  t.same(acked, [0, 1, 2, 3]);
  t.ok(w.idle);
});
