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
  t.same(writes, [0, 1, 2, 0, 1, 2, 0], 'a NAK about a copy written after the newest copy of 0 resends: 0 alone, its resend was lost');
  t.equal(w.stats().naks, 2);
  w.ack(1); // 0 arrived
  t.same(writes, [0, 1, 2, 0, 1, 2, 0, 1, 2], 'then the rest of the window at once');
});

/**
 * An MCU behind a link that loses every `period`-th frame written: it applies frames in order and NAKs the first it
 * drops. `answer()` delivers its reply; when nothing reached it since the last answer, the retransmission timer runs out
 * instead (the clock jumps past the deadline and the window's timer handler runs: with a frozen clock it never fires).
 */
function periodicLoss(period: number) {
  let writes = 0, expected = 0, clock = 0, arrived = false;
  const applied: number[] = [];
  let nakDue: { ack: number; seq: number } | null = null;
  const w = new SendWindow({
    write: (b) => {
      if (++writes % period === 0) return; // lost on the wire
      arrived = true;
      const seq = b[1]!;
      if (seq === expected) {
        applied.push(seq);
        expected = (expected + 1) & 0xff;
      } else if (!nakDue) nakDue = { ack: expected, seq };
    },
    onAcked: () => undefined,
    onGiveUp: () => undefined,
    streamAckDelayMs: () => 5,
    now: () => clock,
  });
  t.teardown(() => w.stop());
  w.reset(0, 255);
  const answer = () => {
    if (!arrived) {
      clock += 60_000;
      (w as unknown as { onTimer(): void }).onTimer();
      return;
    }
    arrived = false;
    const n = nakDue;
    nakDue = null;
    if (n) w.nak(n.ack, n.seq);
    else w.ack(expected);
  };
  return { w, applied, answer, writes: () => writes };
}

t.test('3 frames in flight and every 3rd write lost: NAK rounds do not repeat the loss in lockstep', async (t) => {
  const { w, applied, answer, writes } = periodicLoss(3);
  for (let i = 0; i < 2; i++) w.send(Uint8Array.of(0x0f), true); // writes 1-2 arrive
  answer();
  for (let i = 0; i < 3; i++) w.send(Uint8Array.of(0x0f), true); // writes 3-5: seq 2 lost, 3 and 4 dropped behind it
  for (let round = 0; round < 30 && applied.length < 5; round++) answer();
  t.same(applied, [0, 1, 2, 3, 4], `every frame applied in order within 30 answers (${writes()} writes)`);
  answer(); // the MCU's ack of the last one
  t.ok(w.idle, 'nothing left in flight');
});
