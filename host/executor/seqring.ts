// A single-writer ring of fixed-width double records keyed by a counter, each slot its own seqlock: a reader that fell behind reads any of the last `slots` records whole, or learns it was overwritten.

// Header: Int32 [slots, width, seq of slot 0 .. seq of slot slots-1], padded to 8 bytes. Then per slot: [key, record x width].
const H_SLOTS = 0;
const H_WIDTH = 1;
const H_SEQ = 2;

const headerBytes = (slots: number): number => Math.ceil((H_SEQ + slots) / 2) * 8;

export function allocateSeqRing(slots: number, width: number): SharedArrayBuffer {
  if (!Number.isInteger(slots) || slots < 1 || !Number.isInteger(width) || width < 1) throw new Error(`a ring needs whole slots and width >= 1 (got ${slots} x ${width})`);
  const sab = new SharedArrayBuffer(headerBytes(slots) + 8 * slots * (1 + width));
  const h = new Int32Array(sab, 0, H_SEQ);
  h[H_SLOTS] = slots;
  h[H_WIDTH] = width;
  // Key -1: never written, so no key a writer uses (>= 0) matches an empty slot.
  for (let s = 0; s < slots; s++) new Float64Array(sab, headerBytes(slots) + 8 * s * (1 + width), 1)[0] = -1;
  return sab;
}

/** What `readInto` found in the key's slot. */
export type RingRead = 'ok' | 'overwritten' | 'not_written' | 'contended';

export class SeqRingF64 {
  readonly slots: number;
  readonly width: number;
  private readonly seq: Int32Array;
  private readonly data: Float64Array;

  constructor(sab: SharedArrayBuffer) {
    const h = new Int32Array(sab, 0, H_SEQ);
    this.slots = h[H_SLOTS]!;
    this.width = h[H_WIDTH]!;
    this.seq = new Int32Array(sab, 0, H_SEQ + this.slots);
    this.data = new Float64Array(sab, headerBytes(this.slots));
  }

  /** Writer only: stores `record` (its first `width` values) under `key` (>= 0, one more than the last key, or any later one). */
  write(key: number, record: Float64Array): void {
    const slot = key % this.slots;
    const base = slot * (1 + this.width);
    const i = H_SEQ + slot;
    Atomics.add(this.seq, i, 1);
    this.data[base] = key;
    for (let k = 0; k < this.width; k++) this.data[base + 1 + k] = record[k]!;
    Atomics.add(this.seq, i, 1);
  }

  /**
   * Copies the record stored under `key` into dst when its slot still holds it. A key older than the last `slots` is
   * 'overwritten'; a key not written yet is 'not_written'; a slot the writer kept busy through every attempt (it is
   * being rewritten, so the key is about to be overwritten) is 'contended'.
   */
  readInto(key: number, dst: Float64Array, attempts = 16): RingRead {
    const slot = key % this.slots;
    const base = slot * (1 + this.width);
    const i = H_SEQ + slot;
    for (let a = 0; a < attempts; a++) {
      const s1 = Atomics.load(this.seq, i);
      if (s1 & 1) continue;
      const found = this.data[base]!;
      for (let k = 0; k < this.width; k++) dst[k] = this.data[base + 1 + k]!;
      if (Atomics.load(this.seq, i) !== s1) continue;
      if (found === key) return 'ok';
      return found > key ? 'overwritten' : 'not_written';
    }
    return 'contended';
  }
}
