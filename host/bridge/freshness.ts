// Command freshness: a command older (or further ahead) than the window is stale, an id seen before is a replay; pure, bounded memory.

/** [ms] default freshness window: a command's at_ms must be within this of the bridge's clock (either way). */
export const COMMAND_WINDOW_MS = 10_000;
/** Ids remembered at most; past it the oldest are forgotten and the stale floor rises so they still cannot come back. */
export const REPLAY_CACHE_ENTRIES = 20_000;

export class ReplayGuard {
  /** id -> at_ms, in arrival order. */
  private readonly seen = new Map<string, number>();
  /**
   * [ms] commands stamped at or before this are refused as stale: the largest at_ms among forgotten ids, so an
   * evicted id can never be replayed (every id not in `seen` that ever passed had at_ms <= floor_ms).
   */
  private floor_ms = -Infinity;
  private lastPrune_ms = -Infinity;

  constructor(
    readonly window_ms = COMMAND_WINDOW_MS,
    private readonly max_entries = REPLAY_CACHE_ENTRIES,
  ) {}

  /** null when the command may run (and records its id), else why not, in one sentence naming the field. */
  check(command: string, id: string, at_ms: number, now_ms: number): string | null {
    const age_ms = now_ms - at_ms;
    if (age_ms > this.window_ms) {
      return `${command}: stale, at_ms is ${(age_ms / 1000).toFixed(1)} s old (the freshness window is ${this.window_ms / 1000} s): not run; send a new command (and keep clocks in sync, e.g. NTP)`;
    }
    if (-age_ms > this.window_ms) {
      return `${command}: at_ms is ${(-age_ms / 1000).toFixed(1)} s in the future (the freshness window is ${this.window_ms / 1000} s): not run; the sender's clock is off (sync it, e.g. NTP)`;
    }
    if (this.seen.has(id)) return `${command}: id "${id}" was already used: a replay, not run; every command needs a new id`;
    if (at_ms <= this.floor_ms) return `${command}: stale, at_ms is older than the ids the bridge still remembers: not run; send a new command`;
    this.prune(now_ms);
    this.seen.set(id, at_ms);
    while (this.seen.size > this.max_entries) {
      const [oldId, oldAt] = this.seen.entries().next().value as [string, number];
      this.seen.delete(oldId);
      this.floor_ms = Math.max(this.floor_ms, oldAt);
    }
    return null;
  }

  get size(): number {
    return this.seen.size;
  }

  /** Forgets ids that are outside the window anyway (they would be refused as stale), at most once a second. */
  private prune(now_ms: number): void {
    if (now_ms - this.lastPrune_ms < 1000) return;
    this.lastPrune_ms = now_ms;
    for (const [id, at] of this.seen) if (now_ms - at > this.window_ms) this.seen.delete(id);
  }
}
