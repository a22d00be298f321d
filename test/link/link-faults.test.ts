// What the link survives, against the posix firmware: dropped host frames (retransmission, go-back-N), replayed
// frames, garbage bytes and bit flips in both directions. Nothing damaged or replayed is ever applied.
import t, { type Test } from 'tap';
import { SerialTransport } from '../../host/link/serial.ts';
import { McuSession } from '../../host/link/session.ts';
import { encodeFrame } from '../../host/protocol/frame.ts';
import { decodePayload, encodeMessage } from '../../host/protocol/codec.ts';
import { LossyTransport } from './helpers/lossy-transport.ts';
import { referenceNode, sleep, startMcu, until } from './helpers/posix.ts';

async function connected(t: Test) {
  const mcu = await startMcu(t);
  const { node, board } = referenceNode('base');
  const lossy = new LossyTransport(SerialTransport.forBoard(mcu.ptyPath!, board));
  const s = new McuSession({ transport: lossy, node, board });
  t.teardown(() => s.close());
  return { mcu, s, lossy };
}

/** Waits for a status frame newer than now and returns the MCU's raw counters from it. */
async function freshStatus(s: McuSession) {
  const before = s.stats().telemetry.statusFrames;
  await until('a fresh status frame', () => s.stats().telemetry.statusFrames >= before + 2);
  return s.stats().telemetry.mcuRaw!;
}

/** The seq byte and decoded set_position of a frame the session wrote, if it is one. */
function setPositionOf(frame: Uint8Array): { seq: number; counts: number } | null {
  try {
    const m = decodePayload(frame.subarray(2, frame.length - 3));
    return m.length === 1 && m[0]!.name === 'set_position' ? { seq: frame[1]!, counts: m[0]!.fields.counts } : null;
  } catch {
    return null;
  }
}

t.test('every 3rd host frame dropped: commands still complete, in order, by retransmission', async (t) => {
  const { s, lossy } = await connected(t);
  lossy.dropEvery = 3; // from the first identify on: the handshake and configuration get through too
  await s.connect();
  const done: number[] = [];
  const cmds = [];
  for (let i = 1; i <= 40; i++) cmds.push(s.command('set_position', { index: 0, counts: i * 100 }).then(() => done.push(i)));
  await Promise.all(cmds);
  t.same(done, Array.from({ length: 40 }, (_, i) => i + 1), 'acked in order');
  await until('telemetry showing the last position', () => s.mcuState?.counts[0] === 4000);
  const st = s.stats();
  t.ok(lossy.counts.dropped > 10, `${lossy.counts.dropped} frames dropped`);
  t.ok(st.retransmits > 0, `${st.retransmits} retransmissions (${st.timeouts} timeouts, ${st.naks} NAKs)`);
  const raw = await freshStatus(s);
  t.ok(raw.seqErrors > 0, 'the MCU counted the out-of-order frames it dropped');
});

t.test('a replayed frame is rejected and counted by the MCU, never applied', async (t) => {
  const { s, lossy } = await connected(t);
  await s.connect();
  await s.command('set_position', { index: 0, counts: 5000 });
  const old = lossy.written.find((f) => setPositionOf(f)?.counts === 5000)!;
  t.ok(old, 'captured the set_position(5000) frame as sent');
  await s.command('set_position', { index: 0, counts: -7000 });
  await until('position -7000', () => s.mcuState?.counts[0] === -7000);
  const before = await freshStatus(s);

  lossy.inject(old);
  lossy.inject(old);
  const after = await freshStatus(s);
  t.ok(after.seqErrors >= before.seqErrors + 2, `seq_errors ${before.seqErrors} -> ${after.seqErrors}`);
  await sleep(50);
  t.equal(s.mcuState!.counts[0], -7000, 'the replay did not move the position back');
  t.ok((await s.ping()) > 0, 'the session is still in step');
});

t.test('garbage and bit-flipped frames to the MCU are counted and never applied', async (t) => {
  const { s, lossy } = await connected(t);
  await s.connect();
  await s.command('set_position', { index: 0, counts: 321 });
  await until('position 321', () => s.mcuState?.counts[0] === 321);
  const before = await freshStatus(s);

  for (let k = 0; k < 20; k++) {
    // A frame the MCU would apply (it carries the seq it expects next), then one bit flipped anywhere in it.
    const last = lossy.written[lossy.written.length - 1]!;
    const good = encodeFrame((last[1]! + 1) & 0xff, encodeMessage('set_position', { index: 0, counts: 99999 }));
    const bad = good.slice();
    const bit = Math.floor(Math.random() * (bad.length - 1) * 8); // not the SYNC byte: that only tests framing
    bad[bit >> 3]! ^= 1 << (bit & 7);
    lossy.inject(bad);
    lossy.inject(Uint8Array.from({ length: 1 + Math.floor(Math.random() * 30) }, () => Math.floor(Math.random() * 256)));
    // A truncated frame: the MCU must not wait forever on it.
    lossy.inject(good.subarray(0, good.length - 2 - (k % 3)));
    await sleep(5);
  }
  const after = await freshStatus(s);
  t.ok(after.crcErrors > before.crcErrors, `MCU crc_errors ${before.crcErrors} -> ${after.crcErrors}`);
  t.equal(s.mcuState!.counts[0], 321, 'no damaged frame was applied');
  await s.command('set_position', { index: 0, counts: 654 });
  await until('the link still applies good frames', () => s.mcuState?.counts[0] === 654);
});

t.test('bit flips in MCU->host bytes are counted by the host and never reach the state', async (t) => {
  const { s, lossy } = await connected(t);
  await s.connect();
  await s.command('set_position', { index: 0, counts: 4242 });
  await until('position 4242', () => s.mcuState?.counts[0] === 4242);
  const seen = new Set<number>();
  let badFaults = 0;
  s.on('telemetry', (st) => {
    seen.add(st.counts[0]!);
    if (st.faults & ~0xff) badFaults++;
  });
  lossy.flipUpEvery = 2;
  const flippedFrom = lossy.counts.flipped;
  await until('bit flips in 40 chunks', () => lossy.counts.flipped >= flippedFrom + 40);
  lossy.flipUpEvery = 0;
  const st = s.stats();
  t.ok(st.host.crcErrors + st.host.lengthErrors + st.host.syncErrors > 0, `host rejected ${st.host.crcErrors} CRC, ${st.host.lengthErrors} length, ${st.host.syncErrors} sync errors`);
  t.same([...seen], [4242], 'every telemetry frame that got through is intact');
  t.equal(badFaults, 0);
  t.ok(st.telemetry.telemetryLost > 0, 'the dropped telemetry frames show up as counter gaps');
  t.ok((await s.ping()) > 0);
});
