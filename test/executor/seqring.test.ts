// The setpoint history ring: a reader behind the writer gets whole records or a clear "overwritten", never a torn or wrong-key one.
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { allocateSeqRing, SeqRingF64 } from '../../host/executor/seqring.ts';

// The writer follows SeqRingF64.write's protocol (slot sequence odd while writing); plain JS so the worker needs no TS loader.
const WRITER = `
const { workerData } = require('node:worker_threads');
const { sab, stop: stopSab, slots, width, header } = workerData;
const seq = new Int32Array(sab, 0, 2 + slots);
const data = new Float64Array(sab, header);
const stop = new Int32Array(stopSab);
for (let k = 0; Atomics.load(stop, 0) === 0; k++) {
  const slot = k % slots, base = slot * (1 + width);
  Atomics.add(seq, 2 + slot, 1);
  data[base] = k;
  for (let i = 0; i < width; i++) data[base + 1 + i] = k * 10 + i;
  Atomics.add(seq, 2 + slot, 1);
  Atomics.store(stop, 1, k);
  // Bursts of writes with pauses between: the reader overlaps rewrites, and still finds most keys held.
  if (k % 4 === 3) Atomics.wait(stop, 2, 0, 0.02);
}`;

t.test('concurrent writer: a record read under its key is that key\'s whole record', async (t) => {
  const slots = 8;
  const width = 32;
  const sab = allocateSeqRing(slots, width);
  const stop = new SharedArrayBuffer(12);
  const stopWords = new Int32Array(stop);
  const header = sab.byteLength - 8 * slots * (1 + width);
  const ring = new SeqRingF64(sab);
  const w = new Worker(WRITER, { eval: true, workerData: { sab, stop, slots, width, header } });
  const dst = new Float64Array(width);
  const counts = { ok: 0, overwritten: 0, not_written: 0, contended: 0 };
  let wrong = 0;
  const deadline = Date.now() + 10_000;
  for (let n = 0; counts.ok < 50_000 && Date.now() < deadline; n++) {
    // Keys 0..slots+1 behind the writer: most are held, some are being rewritten, the oldest are gone.
    const key = Math.max(0, Atomics.load(stopWords, 1) - (n % (slots + 2)));
    const r = ring.readInto(key, dst);
    counts[r]++;
    if (r === 'ok' && !dst.every((v, i) => v === key * 10 + i)) wrong++;
  }
  Atomics.store(stopWords, 0, 1);
  await new Promise((r) => w.once('exit', r));
  t.equal(wrong, 0, `no torn or wrong record in ${counts.ok} good reads (${JSON.stringify(counts)})`);
  t.ok(counts.ok >= 50_000, 'enough reads');
  t.ok(counts.overwritten > 0, 'reads that fell behind were told so');
});

t.test('single thread: keys, overwrite, not yet written, bad shapes', (t) => {
  const ring = new SeqRingF64(allocateSeqRing(4, 2));
  t.equal(ring.slots, 4);
  t.equal(ring.width, 2);
  const dst = new Float64Array(2);
  t.equal(ring.readInto(0, dst), 'not_written', 'an empty slot holds no key');
  for (let k = 0; k < 6; k++) ring.write(k, Float64Array.of(k, -k));
  t.equal(ring.readInto(5, dst), 'ok');
  t.same([...dst], [5, -5]);
  t.equal(ring.readInto(2, dst), 'ok', 'the last 4 keys are held');
  t.equal(ring.readInto(1, dst), 'overwritten', 'key 1 shared its slot with key 5');
  t.equal(ring.readInto(9, dst), 'not_written', 'key 9 maps to the slot of key 5, which is older');
  t.throws(() => allocateSeqRing(0, 2), /whole slots/);
  t.throws(() => allocateSeqRing(4, 1.5), /whole slots/);
  t.end();
});
