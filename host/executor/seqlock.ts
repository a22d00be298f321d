// A single-writer seqlock over a SharedArrayBuffer of doubles: the reader never blocks the writer and detects torn reads.

/** Bytes before the data: one Int32 sequence word (odd while a write is in progress), padded to 8. */
const HEADER_BYTES = 8;

export function allocateSeqlock(length: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + 8 * length);
}

export class SeqlockF64 {
  /** seq[0]: even = stable, odd = being written. Atomics.notify on it wakes readers waiting for news. */
  readonly seq: Int32Array;
  /** Writer's view. Readers use readInto(), never this, unless they hold no other thread's data. */
  readonly data: Float64Array;

  constructor(sab: SharedArrayBuffer) {
    this.seq = new Int32Array(sab, 0, 1);
    this.data = new Float64Array(sab, HEADER_BYTES);
  }

  get length(): number {
    return this.data.length;
  }

  /** The current sequence word (even when stable); it changes by 2 per completed write. */
  version(): number {
    return Atomics.load(this.seq, 0);
  }

  beginWrite(): void {
    Atomics.add(this.seq, 0, 1);
  }

  /** Publishes the write and wakes every thread waiting on the sequence word. */
  endWrite(): void {
    Atomics.add(this.seq, 0, 1);
    Atomics.notify(this.seq, 0);
  }

  /**
   * Copies a consistent snapshot into dst; returns its (even) sequence, or -1 when every attempt
   * overlapped a write (the caller keeps its previous copy). Writes take well under a microsecond, so
   * a few retries suffice; the bound keeps a stuck writer from hanging the control tick.
   */
  readInto(dst: Float64Array, attempts = 64): number {
    for (let a = 0; a < attempts; a++) {
      const s1 = Atomics.load(this.seq, 0);
      if (s1 & 1) continue;
      dst.set(this.data);
      if (Atomics.load(this.seq, 0) === s1) return s1;
    }
    return -1;
  }
}
