// Quadrature encoder output: A/B levels for a shaft position, stepped one state at a time so the MCU never misses an edge.

/** Gray sequence of (A, B) for increasing counts: A leads B in the positive direction. */
const STATES: readonly [boolean, boolean][] = [
  [false, false],
  [true, false],
  [true, true],
  [false, true],
];

/**
 * The encoder's emitted state chases the shaft's count position one quadrature step per call: even if the
 * shaft moved two counts since the last slice, the MCU sees two separate edges, never a skipped state.
 * Positions are in counts (4x decoded), i.e. edges of A and B together.
 */
export class QuadratureEncoder {
  /** Count position the A/B pins currently show. */
  emitted: number;
  /** Fixed-rate drive for load tests: edges per second (signed), or null to follow the shaft. */
  private rate_eps: number | null = null;
  private nextForcedEdge = 0;
  /** [counts] added to the shaft position: fixed-rate driving moves the pins away from the shaft. */
  private offset = 0;

  constructor(
    readonly countsPerRev: number,
    startCounts: number,
  ) {
    this.emitted = startCounts;
  }

  /** [counts] continuous position of a shaft angle. */
  position(shaft_rad: number): number {
    return (shaft_rad * this.countsPerRev) / (2 * Math.PI);
  }

  /** A/B levels for the emitted position. */
  levels(): [boolean, boolean] {
    return STATES[((this.emitted % 4) + 4) % 4]!;
  }

  /**
   * Drive edges at a fixed rate (e.g. 5000 edges/s, sign = direction) regardless of the shaft, from `now`;
   * null to follow the shaft again from where the pins are (no burst of catch-up edges).
   */
  driveAt(edges_per_s: number | null, now: number, clock_hz: number, shaft_counts: number): void {
    this.rate_eps = edges_per_s === 0 ? null : edges_per_s;
    if (this.rate_eps !== null) this.nextForcedEdge = now + clock_hz / Math.abs(this.rate_eps);
    if (this.rate_eps === null) this.offset = this.emitted - Math.floor(shaft_counts);
  }

  get forced(): boolean {
    return this.rate_eps !== null;
  }

  /**
   * Move at most one state toward the shaft (or the fixed-rate schedule). Returns true when the pins changed.
   * `now`/`clock_hz` are only used in fixed-rate mode.
   */
  update(shaft_counts: number, now: number, clock_hz: number): boolean {
    if (this.rate_eps !== null) {
      if (now < this.nextForcedEdge) return false;
      this.emitted += Math.sign(this.rate_eps);
      this.nextForcedEdge += clock_hz / Math.abs(this.rate_eps);
      return true;
    }
    const target = Math.floor(shaft_counts) + this.offset;
    if (target === this.emitted) return false;
    this.emitted += target > this.emitted ? 1 : -1;
    return true;
  }

  /**
   * [cycles from now] until the next state change: the edge time predicted from the shaft velocity, a short
   * catch-up gap when the pins lag the shaft, Infinity when standing still.
   */
  cyclesToNextEdge(shaft_counts: number, counts_per_s: number, now: number, clock_hz: number, catchUpCycles: number): number {
    if (this.rate_eps !== null) return Math.max(1, this.nextForcedEdge - now);
    const pos = shaft_counts + this.offset;
    if (Math.floor(pos) !== this.emitted) return catchUpCycles;
    if (counts_per_s > 0) return Math.max(1, Math.ceil(((this.emitted + 1 - pos) / counts_per_s) * clock_hz));
    if (counts_per_s < 0) return Math.max(1, Math.ceil(((pos - this.emitted) / -counts_per_s) * clock_hz) + 1);
    return Infinity;
  }
}
