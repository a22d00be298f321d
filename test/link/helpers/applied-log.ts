// Test infrastructure: the host's copy of the MCU's applied record (status.applied_frames / applied_sum). A Transport
// wrapper that reads every frame the session writes, keeps the first transmission of each seq in order (what the MCU
// must apply, each once, in that order), checks that every retransmission repeats its original's bytes, and recomputes
// the firmware's running sums (firmware/core/link.c note_applied) after each frame, so any MCU record can be checked.
import { FrameDecoder, type Frame } from '../../../host/protocol/frame.ts';
import { messageDef } from '../../../host/protocol/codec.ts';
import type { Transport } from '../../../host/link/transport.ts';

const IDENTIFY_ID = messageDef('identify').id;

export class AppliedLog implements Transport {
  /** Every frame written since the first identify: first transmissions and retransmissions. */
  writes = 0;
  /** Retransmissions whose bytes differ from their first transmission (a sender bug): must stay 0. */
  resentDifferently = 0;
  private readonly decoder = new FrameDecoder();
  /** sums[k]: the MCU's applied_sum after the first k frames since the last identify. */
  private sums: number[] = [0];
  private payloads: Uint8Array[] = [];
  private s1 = 0;
  private s2 = 0;
  private nextSeq: number | null = null;
  private readonly bySeq = new Map<number, Uint8Array>();

  constructor(readonly inner: Transport) {}

  get name(): string { return this.inner.name; }
  get isOpen(): boolean { return this.inner.isOpen; }
  open(): Promise<void> { return this.inner.open(); }
  close(): Promise<void> { return this.inner.close(); }
  onClose(listener: (err?: Error) => void): void { this.inner.onClose(listener); }
  onData(listener: (bytes: Uint8Array) => void): void { this.inner.onData(listener); }

  write(bytes: Uint8Array): void {
    this.decoder.push(bytes, (f) => this.onFrame(f));
    this.inner.write(bytes);
  }

  /** Distinct frames written since the last identify (the identify included): what the MCU must end up applying. */
  get frames(): number {
    return this.payloads.length;
  }

  /** Payload of the k-th distinct frame (0 = the identify). */
  payload(k: number): Uint8Array | undefined {
    return this.payloads[k];
  }

  /** Null when the MCU's record equals the first `frames` frames written, each once, in order; else what differs. */
  mismatch(applied: { frames: number; sum: number }): string | null {
    if (applied.frames > this.frames) return `the MCU applied ${applied.frames} frames, only ${this.frames} were written`;
    const want = this.sums[applied.frames]!;
    if (applied.sum !== want) {
      return `after ${applied.frames} frames the MCU's sum is 0x${applied.sum.toString(16)}, the frames written give 0x${want.toString(16)}`;
    }
    return null;
  }

  private onFrame(f: Frame): void {
    // The MCU restarts its record on a lone identify (and takes its seq); so does this copy.
    if (f.payload.length === 1 && f.payload[0] === IDENTIFY_ID) {
      this.sums = [0];
      this.payloads = [];
      this.s1 = this.s2 = 0;
      this.bySeq.clear();
      this.nextSeq = f.seq;
    }
    if (this.nextSeq === null) return;
    this.writes++;
    if (f.seq !== this.nextSeq) {
      const first = this.bySeq.get(f.seq);
      if (!first || !sameBytes(first, f.payload)) this.resentDifferently++;
      return;
    }
    this.nextSeq = (this.nextSeq + 1) & 0xff;
    this.bySeq.set(f.seq, f.payload);
    this.payloads.push(f.payload);
    for (const b of f.payload) {
      this.s1 = (this.s1 + b) & 0xffff;
      this.s2 = (this.s2 + this.s1) & 0xffff;
    }
    this.sums.push(((this.s2 << 16) | this.s1) >>> 0);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
