// Link health while connected: `degraded` once a frame has waited half the MCU's watchdog window for its ack or the
// MCU's watchdog tripped, healthy again once acks come within a quarter window and no trip is latched. Each change
// is logged here, at most once per LOG_QUIET_MS per link (a busy machine flaps it many times a minute, and a long run's
// log must stay small); the session turns every change into its state and a `health` event all the same.

/** [ms] after a logged degradation, further ones on this link are counted, not logged, for this long. */
export const LOG_QUIET_MS = 10_000;

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
  private quietUntilMs = -Infinity;
  private unlogged = 0;
  private loggedThis = false;

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
      this.loggedThis = nowMs >= this.quietUntilMs;
      if (this.loggedThis) {
        const more = this.unlogged ? ` (and ${this.unlogged} shorter degradation(s) before, not logged)` : '';
        this.log(`link ${this.port}: DEGRADED: ${bad}${more}`);
        this.quietUntilMs = nowMs + LOG_QUIET_MS;
        this.unlogged = 0;
      } else this.unlogged++;
      return bad;
    }
    // Hysteresis: recover only once acks are prompt again, so a link at the edge does not flap every check.
    if (!x.watchdogTripped && x.oldestUnackedMs < wd / 4) {
      this.reason = null;
      if (this.loggedThis) this.log(`link ${this.port}: healthy again after ${Math.round(nowMs - this.sinceMs)} ms degraded`);
      return '';
    }
    return null;
  }

  /** A new handshake: whatever was wrong belonged to the old link. */
  reset(): void {
    this.reason = null;
  }
}
