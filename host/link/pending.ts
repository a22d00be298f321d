// The table of outstanding requests (commands waiting for an ack, pings for their pong): every entry is settled
// exactly once, by its ack, its reply, an MCU refusal, or failAll() when the link goes down or the session closes,
// including requests still queued behind a full send window (they have no sequence number yet).
import type { Decoded } from '../protocol/codec.ts';
import { seqDist } from './send-window.ts';

export interface Pending {
  name: string;
  msgId: number;
  /** Assigned when the frame is first sent; null while it waits in the send queue. */
  seq: number | null;
  /** [ms] performance.now() at first transmission. */
  sentAtMs: number;
  /** For ping: the token whose pong resolves it. */
  token?: number;
  /** [ms] when the pong arrived. */
  replyAtMs?: number;
  grace?: NodeJS.Timeout;
  resolve: (reply: Decoded | null) => void;
  reject: (err: Error) => void;
}

export class PendingTable {
  private readonly bySeq = new Map<number, Pending>();
  private readonly all = new Set<Pending>();

  /** Requests not yet settled, queued or in flight. */
  get size(): number {
    return this.all.size;
  }

  create(name: string, msgId: number, token?: number): { p: Pending; done: Promise<Decoded | null> } {
    const p = { name, msgId, seq: null, sentAtMs: 0, ...(token !== undefined ? { token } : {}) } as Pending;
    const done = new Promise<Decoded | null>((resolve, reject) => {
      p.resolve = resolve;
      p.reject = reject;
    });
    this.all.add(p);
    return { p, done };
  }

  /** The request's frame went out for the first time with `seq`. */
  bind(p: Pending, seq: number, nowMs: number): void {
    if (!this.all.has(p)) return; // failed while queued
    p.seq = seq;
    p.sentAtMs = nowMs;
    this.bySeq.set(seq, p);
  }

  /** The frame `seq` was acked. A ping was applied and its pong normally rides in the same frame; if it was lost (or
   *  this ack answers a replay, which the MCU does not re-answer), wait `graceMs` for it, then settle on the ack. */
  acked(seq: number, graceMs: number): void {
    const p = this.bySeq.get(seq);
    if (!p) return;
    if (p.token === undefined) return this.settle(p, null);
    if (!p.grace) p.grace = setTimeout(() => this.settle(p, null), graceMs);
  }

  /** A pong: resolves the oldest ping with that token still waiting for one. */
  pong(token: number, reply: Decoded, nowMs: number): void {
    for (const p of this.bySeq.values()) {
      if (p.token === token && p.replyAtMs === undefined) {
        p.replyAtMs = nowMs;
        this.settle(p, reply);
        return;
      }
    }
  }

  /** The MCU refused message `msgId` in a frame acked by `ack`. Rejects the request it answers and returns true,
   *  or returns false when no outstanding request matches (a refused setpoint, say). */
  refuse(ack: number, msgId: number, err: Error): boolean {
    // The MCU answers a frame right after applying it, so the refused command is normally the frame just before `ack`.
    let match = this.bySeq.get((ack - 1) & 0xff);
    if (!match || match.msgId !== msgId) {
      match = undefined;
      for (const p of this.bySeq.values()) {
        if (p.seq !== null && p.msgId === msgId && seqDist(p.seq, ack) <= 128) { match = p; break; }
      }
    }
    if (!match) return false;
    this.drop(match);
    match.reject(err);
    return true;
  }

  /** Rejects every outstanding request, queued or in flight, with `err`. */
  failAll(err: Error): void {
    const all = [...this.all];
    this.all.clear();
    this.bySeq.clear();
    for (const p of all) {
      clearTimeout(p.grace);
      p.reject(err);
    }
  }

  private settle(p: Pending, reply: Decoded | null): void {
    if (!this.all.has(p)) return;
    this.drop(p);
    p.resolve(reply);
  }

  private drop(p: Pending): void {
    this.all.delete(p);
    if (p.seq !== null && this.bySeq.get(p.seq) === p) this.bySeq.delete(p.seq);
    clearTimeout(p.grace);
  }
}
