// When the emulator ran each stretch of emulated cycles: (cycles at a pacer turn's end, monotonic ns then), kept for the last turns.

/**
 * Maps an emulated cycle to the monotonic time of the pacer turn that executed it. The turn's end is used: the cycle
 * ran somewhere inside that turn, so the stamp is never earlier than the emulated event (it overstates a latency by
 * at most one turn, never flatters it). Emulated time itself is no wall clock when the emulator lags.
 */
export class TurnClock {
  private readonly cycles: Float64Array;
  private readonly ns: Float64Array;
  private n = 0;
  private head = 0;

  constructor(readonly capacity = 4096) {
    this.cycles = new Float64Array(capacity);
    this.ns = new Float64Array(capacity);
  }

  /** A turn ended with the CPU at `cycles`, at monotonic time `now_ns`. */
  record(cycles: number, now_ns: number): void {
    this.cycles[this.head] = cycles;
    this.ns[this.head] = now_ns;
    this.head = (this.head + 1) % this.capacity;
    if (this.n < this.capacity) this.n++;
  }

  /** The end of the first kept turn that had reached `cycle`; null when it is older than the kept turns or not run yet. */
  timeOf_ns(cycle: number): number | null {
    if (this.n === 0) return null;
    const at = (k: number) => (this.head - this.n + k + this.capacity) % this.capacity; // k-th oldest
    if (cycle <= this.cycles[at(0)]!) return null; // it ran in a turn we no longer know
    let lo = 0;
    let hi = this.n - 1;
    if (this.cycles[at(hi)]! < cycle) return null;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cycles[at(mid)]! >= cycle) hi = mid;
      else lo = mid + 1;
    }
    return this.ns[at(lo)]!;
  }
}
