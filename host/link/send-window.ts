// Go-back-N sender for host->MCU frames: 8-bit sequence numbers, bytes in flight bounded by the MCU's receive
// buffer, retransmission on an adaptive timeout (rtt.ts) or at once on a NAK, and a queue for what does not fit yet.
import { encodeFrame } from '../protocol/frame.ts';
import { RttEstimator } from './rtt.ts';

/** A frame sent and not yet acked. */
interface InFlight {
  seq: number;
  bytes: Uint8Array;
  stream: boolean;
  lastSentMs: number;
  firstSentMs: number;
  transmissions: number;
  /** Retransmission timer expiries while this frame was the oldest: NAK-driven resends do not count. */
  timeouts: number;
  /** Where each transmission of it fell in the order of everything written (see nak()). */
  sendNos: number[];
}

/** Waiting for room in the window; the sequence number is assigned when first sent, so seq order = send order. */
interface Queued {
  payload: Uint8Array;
  stream: boolean;
  coalesceKey?: string;
  onSeq?: (seq: number) => void;
}

export interface SendWindowStats {
  framesSent: number;
  retransmits: number;
  timeouts: number;
  naks: number;
  /** Acks outside the window (stale or corrupted-but-valid frames): ignored. */
  badAcks: number;
  inFlightFrames: number;
  inFlightBytes: number;
  queued: number;
}

export interface SendWindowOptions {
  write: (bytes: Uint8Array) => void;
  /** Called for every frame once acked, oldest first. */
  onAcked: (seq: number) => void;
  /** The oldest frame timed out `maxTimeouts` times in a row: the link is presumed dead (the session reconnects). */
  onGiveUp: (seq: number) => void;
  /** [ms] stream frames are acked by the next telemetry frame, so their timeout adds one telemetry period. */
  streamAckDelayMs: () => number;
  /** The link is given up when the oldest frame timed out `maxTimeouts` times (default 8) and has been unacked for
   *  `giveUpMs` (default 5000): with the RTO capped near the watchdog window the count alone would take well under a
   *  second, which a busy host can stall for without the link being dead. */
  maxTimeouts?: number;
  giveUpMs?: number;
  /** [ms] cap on the retransmission timeout (rtt.ts); default Klipper's 5 s. */
  rtoMaxMs?: number;
  /** Cap on the timeout's backoff factor (rtt.ts); default doubling until rtoMaxMs. */
  rtoMaxBackoff?: number;
  now?: () => number;
}

/** Sequence distance a -> b modulo 256. */
export const seqDist = (a: number, b: number): number => (b - a) & 0xff;

export class SendWindow {
  readonly rtt: RttEstimator;
  private inFlight: InFlight[] = [];
  private queue: Queued[] = [];
  private base = 0;
  private limitBytes = 64;
  private bytesInFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Transmissions so far, and which one the newest NAK was about (see nak()). */
  private sendNo = 0;
  private nakSendNo = -1;
  /** After a timeout only the oldest frame was resent; when it is acked, the rest follow (go-back-N). */
  private recovering = false;
  private readonly now: () => number;
  private readonly maxTimeouts: number;
  private readonly giveUpMs: number;
  private readonly s = { framesSent: 0, retransmits: 0, timeouts: 0, naks: 0, badAcks: 0 };

  constructor(private readonly o: SendWindowOptions) {
    this.now = o.now ?? (() => performance.now());
    this.maxTimeouts = o.maxTimeouts ?? 8;
    this.giveUpMs = o.giveUpMs ?? 5000;
    this.rtt = new RttEstimator(o.rtoMaxMs, o.rtoMaxBackoff);
  }

  /** Next sequence number the MCU will expect once everything in flight is applied. */
  get nextSeq(): number {
    return (this.base + this.inFlight.length) & 0xff;
  }

  /** [ms] how long the oldest unacked frame has waited since it was first sent; 0 when nothing is in flight. */
  oldestAgeMs(): number {
    const f = this.inFlight[0];
    return f ? this.now() - f.firstSentMs : 0;
  }

  get idle(): boolean {
    return this.inFlight.length === 0 && this.queue.length === 0;
  }

  /** Forget everything (after identify resynchronised the MCU to `seq`). Returns how many frames were dropped. */
  reset(seq: number, limitBytes: number): number {
    const dropped = this.inFlight.length + this.queue.length;
    this.inFlight = [];
    this.queue = [];
    this.bytesInFlight = 0;
    this.base = seq & 0xff;
    this.limitBytes = limitBytes;
    this.nakSendNo = this.sendNo;
    this.recovering = false;
    this.clearTimer();
    return dropped;
  }

  /** Queue a payload; `onSeq` learns its sequence number when it is first sent. A queued frame with the same
   *  `coalesceKey` at the tail is replaced: for setpoint streams only the newest value matters. */
  send(payload: Uint8Array, stream: boolean, onSeq?: (seq: number) => void, coalesceKey?: string): void {
    const tail = this.queue[this.queue.length - 1];
    if (coalesceKey && tail && tail.coalesceKey === coalesceKey) {
      tail.payload = payload;
      return;
    }
    this.queue.push({ payload, stream, coalesceKey, onSeq });
    this.fill();
  }

  /** An MCU frame acked `ack` (the next seq it expects). Returns false for an ack outside the window. */
  ack(ack: number): boolean {
    const d = seqDist(this.base, ack);
    if (d > this.inFlight.length) {
      this.s.badAcks++;
      return false;
    }
    if (d === 0) return true;
    const acked = this.inFlight.splice(0, d);
    this.base = ack & 0xff;
    const newest = acked[acked.length - 1]!;
    // Command frames are acked at once, so their ack time is a round trip; stream frames wait for telemetry and
    // retransmitted ones are ambiguous (Karn's rule), so neither is sampled.
    if (!newest.stream && newest.transmissions === 1) this.rtt.sample(this.now() - newest.lastSentMs);
    this.rtt.progress();
    for (const f of acked) this.bytesInFlight -= f.bytes.length;
    this.clearTimer();
    if (this.recovering) {
      // The MCU dropped everything after the lost frame as out of order: send the rest of the window again now.
      this.recovering = false;
      if (this.inFlight.length > 0) this.retransmit(this.inFlight);
    }
    for (const f of acked) this.o.onAcked(f.seq);
    this.fill();
    this.arm();
    return true;
  }

  /** The MCU dropped frame `droppedSeq` because one before it was lost; `ack` is where it wants to resume. Go back N
   *  at once, unless this NAK is an echo of a loss already answered. The MCU NAKs every frame after a gap, in the
   *  order it got them, which is the order we wrote them; so the copy a NAK is about is the first copy of that frame
   *  written after the copy the previous NAK was about. If that copy went out after our newest copy of the oldest
   *  frame, the MCU got it without the oldest frame: that copy was lost too, so resend. Otherwise the oldest frame's
   *  newest copy may still be on its way: an echo. No clock is involved, so a stalled host cannot mistake echoes of
   *  one loss for new losses (which resent the window over and over on a clean but loaded link). */
  nak(ack: number, droppedSeq: number): void {
    if (!this.ack(ack) || this.inFlight.length === 0) return;
    const pos = seqDist(this.base, droppedSeq);
    const named = this.inFlight[pos];
    if (pos === 0 || !named) return; // not a frame in flight after the gap: stale
    const copy = named.sendNos.find((n) => n > this.nakSendNo) ?? named.sendNos[named.sendNos.length - 1]!;
    this.nakSendNo = copy;
    const oldest = this.inFlight[0]!;
    if (copy < oldest.sendNos[oldest.sendNos.length - 1]!) return;
    this.s.naks++;
    this.recovering = false;
    this.retransmit(this.inFlight);
  }

  stats(): SendWindowStats {
    return { ...this.s, inFlightFrames: this.inFlight.length, inFlightBytes: this.bytesInFlight, queued: this.queue.length };
  }

  stop(): void {
    this.clearTimer();
  }

  private retransmit(frames: InFlight[]): void {
    const t = this.now();
    for (const f of frames) {
      f.transmissions++;
      f.lastSentMs = t;
      f.sendNos.push(this.sendNo++);
      this.s.retransmits++;
      this.o.write(f.bytes);
    }
    this.clearTimer();
    this.arm();
  }

  private fill(): void {
    while (this.queue.length > 0) {
      const q = this.queue[0]!;
      const len = q.payload.length + 5;
      // Strictly fewer bytes than the MCU's receive buffer, but always let one frame go when nothing is in flight.
      if (this.inFlight.length > 0 && this.bytesInFlight + len >= this.limitBytes) return;
      // Keep the window far inside the MCU's 128-seq replay range so an old frame is never taken for a new one.
      if (this.inFlight.length >= 64) return;
      this.queue.shift();
      const seq = this.nextSeq;
      const bytes = encodeFrame(seq, q.payload);
      const t = this.now();
      const f: InFlight = { seq, bytes, stream: q.stream, lastSentMs: t, firstSentMs: t, transmissions: 1, timeouts: 0, sendNos: [this.sendNo++] };
      this.inFlight.push(f);
      this.bytesInFlight += bytes.length;
      this.s.framesSent++;
      q.onSeq?.(seq);
      this.o.write(bytes);
    }
    this.arm();
  }

  private deadline(): number {
    const oldest = this.inFlight[0]!;
    const anyStream = this.inFlight.some((f) => f.stream);
    return oldest.lastSentMs + this.rtt.rtoMs + (anyStream ? this.o.streamAckDelayMs() : 0);
  }

  private arm(): void {
    if (this.timer || this.inFlight.length === 0) return;
    this.timer = setTimeout(() => this.onTimer(), Math.max(1, this.deadline() - this.now()));
  }

  private onTimer(): void {
    this.timer = null;
    if (this.inFlight.length === 0) return;
    if (this.now() < this.deadline()) return this.arm();
    const oldest = this.inFlight[0]!;
    if (oldest.timeouts >= this.maxTimeouts && this.now() - oldest.firstSentMs >= this.giveUpMs) return this.o.onGiveUp(oldest.seq);
    oldest.timeouts++;
    this.s.timeouts++;
    this.rtt.timedOut();
    // Only the oldest frame, as TCP does after a timeout: resending the whole window in lockstep could hit the
    // same periodic loss every round; the rest follows once this one is acked.
    this.recovering = true;
    this.retransmit([oldest]);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
