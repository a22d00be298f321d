// The recorder's writer thread: applies the caller's ops to the MCAP file in order, flushes on its own clock, and reports through shared memory.
import { parentPort, workerData } from 'node:worker_threads';
import { SessionWriter, type SessionFacts, type WriterOp } from './session-writer.ts';
import { CTL_DONE, CTL_FAILED, STAT_BUSY_MS, STAT_BYTES, STAT_SAMPLES, type WriterBatch } from './writer-shared.ts';

export interface WriterWorkerData {
  fd: number;
  facts: SessionFacts;
  started_at: string;
  flush_ms: number;
  ctl: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  error: SharedArrayBuffer;
}

const d = workerData as WriterWorkerData;
const ctl = new Int32Array(d.ctl);
const stats = new Float64Array(d.stats);
let w: SessionWriter | null = null;

/** The first failure stops the writer (what follows would land in a file whose end is unknown) and is kept for the caller. */
function fail(e: unknown): void {
  const text = new TextEncoder().encode(e instanceof Error ? e.message : String(e)).subarray(0, d.error.byteLength);
  new Uint8Array(d.error).set(text);
  Atomics.store(ctl, CTL_FAILED, text.length || 1);
  w = null;
}

function run(ops: readonly WriterOp[]): void {
  const t0 = performance.now();
  try {
    for (const o of ops) w?.apply(o);
  } catch (e) {
    fail(e);
  }
  if (w) {
    stats[STAT_SAMPLES] = w.samples;
    stats[STAT_BYTES] = w.bytes;
  }
  stats[STAT_BUSY_MS] = stats[STAT_BUSY_MS]! + (performance.now() - t0);
}

try {
  w = new SessionWriter(d.fd, d.facts, d.started_at);
} catch (e) {
  fail(e);
}
// The open chunk reaches the disk at least every flush_ms, whatever the caller's thread is doing.
const flusher = setInterval(() => run([{ op: 'flush' }]), d.flush_ms);

parentPort!.on('message', (b: WriterBatch) => {
  run(b.ops);
  if (b.ops.some((o) => o.op === 'close') || !w) {
    clearInterval(flusher);
    parentPort!.close();
  }
  if (b.ticket) {
    Atomics.store(ctl, CTL_DONE, b.ticket);
    Atomics.notify(ctl, CTL_DONE);
  }
});
