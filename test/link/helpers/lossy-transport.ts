// Test infrastructure: a Transport wrapper that damages the link on purpose (drops host frames, blocks the host's
// writes, flips bits in MCU bytes) and lets a test inject raw bytes, to show what the protocol survives.
import type { Transport } from '../../../host/link/transport.ts';

export class LossyTransport implements Transport {
  /** Drop every Nth frame written by the session (0 = none). The session writes one frame per write(). */
  dropEvery = 0;
  /** Drop every write (a cut TX wire): the MCU hears nothing, the host still hears the MCU. */
  blockWrites = false;
  /** Flip one bit in every Nth chunk coming from the MCU (0 = none). */
  flipUpEvery = 0;
  readonly written: Uint8Array[] = [];
  readonly counts = { writes: 0, dropped: 0, upChunks: 0, flipped: 0 };
  private readonly dataListeners: ((b: Uint8Array) => void)[] = [];

  constructor(readonly inner: Transport) {
    inner.onData((bytes) => {
      this.counts.upChunks++;
      let b = bytes;
      if (this.flipUpEvery > 0 && this.counts.upChunks % this.flipUpEvery === 0 && b.length > 0) {
        b = b.slice();
        const bit = Math.floor(Math.random() * b.length * 8);
        b[bit >> 3]! ^= 1 << (bit & 7);
        this.counts.flipped++;
      }
      for (const l of this.dataListeners) l(b);
    });
  }

  get name(): string {
    return this.inner.name;
  }

  get isOpen(): boolean {
    return this.inner.isOpen;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  write(bytes: Uint8Array): void {
    this.counts.writes++;
    this.written.push(bytes.slice());
    if (this.written.length > 500) this.written.shift();
    if (this.blockWrites || (this.dropEvery > 0 && this.counts.writes % this.dropEvery === 0)) {
      this.counts.dropped++;
      return;
    }
    this.inner.write(bytes);
  }

  /** Raw bytes to the MCU, bypassing the session (replays, garbage, forged frames). */
  inject(bytes: Uint8Array): void {
    this.inner.write(bytes);
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (err?: Error) => void): void {
    this.inner.onClose(listener);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
