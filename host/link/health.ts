// Link health while connected: `degraded` once a frame has waited half the MCU's watchdog window for its ack or the
// MCU's watchdog tripped, healthy again once acks come within a quarter window and no trip is latched. Each change
// is logged here; the session turns it into its state and a `health` event.

export interface HealthInput {
  /** [ms] age of the oldest unacked frame (0 when none is in flight). */
  oldestUnackedMs: number;
  /** The MCU reports WATCHDOG_TRIPPED (latched until an arm). */
  watchdogTripped: boolean;
}

export class LinkHealth {
  /** Why the link is degraded now, or null while it is healthy. */
  reason: string | null = null;
  /** Times it went degraded since the session started. */
  degradations = 0;
  /** [ms] performance.now() when it last went degraded. */
  sinceMs = 0;

  constructor(
    private readonly watchdogMs: number,
    private readonly port: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Returns the change to announce: a reason when it just went degraded, '' when it just recovered, else null. */
  check(x: HealthInput, nowMs: number): string | null {
    const wd = this.watchdogMs;
    const bad = x.watchdogTripped
      ? `the MCU's watchdog tripped (no in-sequence frame for ${wd} ms): outputs are at their defaults until re-armed`
      : x.oldestUnackedMs > wd / 2
        ? `a frame has waited ${Math.round(x.oldestUnackedMs)} ms for its ack, over half the ${wd} ms watchdog window`
        : null;
    if (this.reason === null) {
      if (bad === null) return null;
      this.reason = bad;
      this.degradations++;
      this.sinceMs = nowMs;
      this.log(`link ${this.port}: DEGRADED: ${bad}`);
      return bad;
    }
    // Hysteresis: recover only once acks are prompt again, so a link at the edge does not flap every check.
    if (!x.watchdogTripped && x.oldestUnackedMs < wd / 4) {
      this.reason = null;
      this.log(`link ${this.port}: healthy again after ${Math.round(nowMs - this.sinceMs)} ms degraded`);
      return '';
    }
    return null;
  }

  /** A new handshake: whatever was wrong belonged to the old link. */
  reset(): void {
    this.reason = null;
  }
}
