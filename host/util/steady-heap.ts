// Keeps a long-running process's V8 heaps near their live size, so its resident memory stays flat over hours.
import v8 from 'node:v8';

/**
 * Old space may grow to this much over what survived the last full collection before the next one. V8's default
 * lets it reach 2-4x on a busy process: under `ganglion run` the main thread's old space swung between 40 and
 * 100 MB around 30-40 MB live, and the top of that sawtooth crept up over an hour, which the soak read as RSS
 * growth with the live heap flat. At 50 % the main heap held at 75-78 MB. The price is more frequent full
 * collections; they are mostly concurrent, and the executor's loop runs in its own worker.
 */
export const HEAP_GROWING_PERCENT = 50;

/** For every isolate of the process (V8 flags are process-wide; the factor is read at each collection). */
export function keepHeapsNearLive(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
