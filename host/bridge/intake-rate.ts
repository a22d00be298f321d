// The bridge's own bound on command intake (a token bucket): a flood through any broker, mosquitto included (no per-client rate limit there without a plugin), costs the process that runs the MCU links a bounded share.

/** [1/s] commands the bridge reads per second, sustained, from all senders together (bursts of a quarter second's worth:
 *  the burst is what runs back to back at full cost on the links' thread, so it is kept short). */
export const MAX_COMMANDS_PER_S = 1000;

export class IntakeRate {
  private tokens: number;
  private at_ms: number | null = null;

  constructor(readonly rate_per_s = MAX_COMMANDS_PER_S, readonly burst = Math.max(1, rate_per_s / 4)) {
    if (!(rate_per_s > 0) || !(burst >= 1)) throw new Error(`max_commands_per_s ${rate_per_s}: expected a positive rate`);
    this.tokens = burst;
  }

  /** True when one more command may be read now; false: shed it unread. */
  take(now_ms: number): boolean {
    if (this.at_ms !== null) this.tokens = Math.min(this.burst, this.tokens + ((now_ms - this.at_ms) / 1000) * this.rate_per_s);
    this.at_ms = now_ms;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
