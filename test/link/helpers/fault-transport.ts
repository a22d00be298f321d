// Test infrastructure: a Transport wrapper that injects faults in both directions, seeded so a failure replays:
// per-byte corruption (one bit flipped), per-byte drops and duplicates, and per-chunk delay (which reorders chunks).
// Counters say exactly what was injected, so a test can compare them with what both ends of the link counted; the
// clean stream is also cut into frames (by their length bytes) to count the frames a fault landed in.
import { FRAME } from '../../../host/protocol/messages.ts';
import { seededRandom } from '../../../host/world/world.ts';
import type { Transport } from '../../../host/link/transport.ts';

export interface FaultRates {
  /** Probability per byte of one flipped bit. */
  corrupt?: number;
  /** Probability per byte of being dropped. */
  drop?: number;
  /** Probability per byte of being sent twice. */
  duplicate?: number;
  /** Probability per chunk of being held back `delayMs` (later chunks overtake it: reordering). */
  delay?: number;
  delayMs?: number;
}

export interface FaultCounts {
  bytes: number;
  corrupted: number;
  dropped: number;
  duplicated: number;
  delayed: number;
  /** Whole frames in the clean stream, and how many of them had at least one byte corrupted, dropped or duplicated. */
  frames: number;
  framesHit: number;
}

const rng = seededRandom;

const zero = (): FaultCounts => ({ bytes: 0, corrupted: 0, dropped: 0, duplicated: 0, delayed: 0, frames: 0, framesHit: 0 });

/** Where the clean stream is: bytes left in the current frame, and whether a fault landed in it. A byte that cannot
 *  start a frame (a length out of range: noise before the first frame) is passed over alone. */
interface FrameCursor { left: number; hit: boolean }

function advance(f: FrameCursor, c: FaultCounts, byte: number, faulted: boolean): void {
  if (f.left === 0) {
    if (byte < FRAME.MIN_BYTES || byte > FRAME.MAX_BYTES) return;
    f.left = byte;
    f.hit = false;
  }
  f.hit ||= faulted;
  if (--f.left === 0) {
    c.frames++;
    if (f.hit) c.framesHit++;
  }
}

export class FaultTransport implements Transport {
  /** host -> MCU and MCU -> host faults; change them at any time. */
  down: FaultRates = {};
  up: FaultRates = {};
  readonly counts = { down: zero(), up: zero() };
  private readonly listeners: ((b: Uint8Array) => void)[] = [];
  private readonly rand: () => number;
  private readonly cursor = { down: { left: 0, hit: false }, up: { left: 0, hit: false } };

  constructor(readonly inner: Transport, seed = 1) {
    this.rand = rng(seed);
    inner.onData((bytes) => this.pass(bytes, this.up, this.counts.up, this.cursor.up, (b) => { for (const l of this.listeners) l(b); }));
  }

  get name(): string { return this.inner.name; }
  get isOpen(): boolean { return this.inner.isOpen; }
  open(): Promise<void> { return this.inner.open(); }
  close(): Promise<void> { return this.inner.close(); }
  onClose(listener: (err?: Error) => void): void { this.inner.onClose(listener); }
  onData(listener: (bytes: Uint8Array) => void): void { this.listeners.push(listener); }

  write(bytes: Uint8Array): void {
    this.pass(bytes, this.down, this.counts.down, this.cursor.down, (b) => { if (this.inner.isOpen) this.inner.write(b); });
  }

  private pass(bytes: Uint8Array, r: FaultRates, c: FaultCounts, f: FrameCursor, out: (b: Uint8Array) => void): void {
    const res: number[] = [];
    for (const byte of bytes) {
      c.bytes++;
      if (r.drop && this.rand() < r.drop) { c.dropped++; advance(f, c, byte, true); continue; }
      let b = byte;
      const corrupt = !!r.corrupt && this.rand() < r.corrupt;
      if (corrupt) { b ^= 1 << Math.floor(this.rand() * 8); c.corrupted++; }
      res.push(b);
      const dup = !!r.duplicate && this.rand() < r.duplicate;
      if (dup) { res.push(b); c.duplicated++; }
      advance(f, c, byte, corrupt || dup);
    }
    if (res.length === 0) return;
    const chunk = Uint8Array.from(res);
    if (r.delay && this.rand() < r.delay) {
      c.delayed++;
      setTimeout(() => out(chunk), r.delayMs ?? 5);
    } else {
      out(chunk);
    }
  }
}
