// The seqlock under a real concurrent writer: a reader never sees a torn snapshot.
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { allocateSeqlock, SeqlockF64 } from '../../host/executor/seqlock.ts';

// The writer follows SeqlockF64's protocol (odd while writing); plain JS so the worker needs no TS loader.
const WRITER = `
const { workerData } = require('node:worker_threads');
const seq = new Int32Array(workerData.sab, 0, 1);
const data = new Float64Array(workerData.sab, 8);
const stop = new Int32Array(workerData.stop);
for (let k = 1; Atomics.load(stop, 0) === 0; k++) {
  Atomics.add(seq, 0, 1);
  for (let i = 0; i < data.length; i++) data[i] = k;
  Atomics.add(seq, 0, 1);
}`;

t.test('concurrent writer: every successful read is one whole write', async (t) => {
  const sab = allocateSeqlock(64);
  const stop = new SharedArrayBuffer(4);
  const lock = new SeqlockF64(sab);
  const w = new Worker(WRITER, { eval: true, workerData: { sab, stop } });
  const copy = new Float64Array(64);
  let ok = 0;
  let torn = 0;
  let progressed = false;
  let firstSeen = -1;
  const deadline = Date.now() + 10_000;
  while (ok < 200_000 && Date.now() < deadline) {
    if (lock.readInto(copy) < 0) continue;
    ok++;
    if (!copy.every((v) => v === copy[0])) torn++;
    if (firstSeen < 0 && copy[0]! > 0) firstSeen = copy[0]!;
    else if (firstSeen > 0 && copy[0]! > firstSeen) progressed = true;
  }
  Atomics.store(new Int32Array(stop), 0, 1);
  await new Promise((r) => w.once('exit', r));
  t.equal(torn, 0, `no torn snapshot in ${ok} reads`);
  t.ok(progressed, 'the reads overlapped a writer that was making progress');
});

t.test('single thread: version moves by 2 per write; a read during a write fails', (t) => {
  const lock = new SeqlockF64(allocateSeqlock(2));
  const v0 = lock.version();
  lock.beginWrite();
  lock.data[0] = 7;
  t.equal(lock.readInto(new Float64Array(2), 3), -1, 'odd sequence: in progress');
  lock.endWrite();
  t.equal(lock.version(), v0 + 2);
  const out = new Float64Array(2);
  t.equal(lock.readInto(out), v0 + 2);
  t.equal(out[0], 7);
  t.end();
});
