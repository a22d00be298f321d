// Rolling cadence statistics of a fixed-rate loop, reported the way LeRobot does ("29.88 Hz vs 30 Hz target, 8/599 ticks over budget").
import { LogHistogram } from './histogram.ts';

export interface CadenceOptions {
  target_hz: number;
  /** Ticks in the rolling window; default 5 s worth of ticks. */
  window_ticks?: number;
  /** [ns] a tick whose work takes longer than this is "over budget"; default one period. */
  budget_ns?: number;
}

/** Plain data (structured-clone safe) so the worker can postMessage it. */
export interface CadenceSnapshot {
  target_hz: number;
  achieved_hz: number;
  /** Ticks in the window. */
  ticks: number;
  ticks_total: number;
  over_budget: number;
  /** Deadlines skipped (timer re-anchored) within the window, and since start. */
  missed: number;
  missed_total: number;
  period_error_p50_us: number;
  period_error_p99_us: number;
  period_error_max_us: number;
  tick_p50_us: number;
  tick_p99_us: number;
  tick_max_us: number;
}

/**
 * Period error is |actual period - target period| between consecutive tick starts: it is the jitter a
 * motor controller sees, and it is comparable across schedulers (setInterval drifts off any absolute
 * grid, so lateness against deadlines would not be).
 */
export class CadenceStats {
  readonly target_hz: number;
  readonly period_ns: number;
  readonly budget_ns: number;
  readonly window: number;
  // Rings indexed by tick number modulo window. They let the window evict exactly what it added.
  private readonly start_ns: Float64Array;
  private readonly periodErr_ns: Float64Array;
  private readonly duration_ns: Float64Array;
  private readonly missedAt: Uint32Array;
  private readonly periodHist = new LogHistogram();
  private readonly durationHist = new LogHistogram();
  private count = 0;
  private overBudget = 0;
  private missedInWindow = 0;
  private missedTotal = 0;
  private pendingMissed = 0;
  private lastStart_ns = NaN;

  constructor(o: CadenceOptions) {
    if (!(o.target_hz > 0)) throw new Error(`cadence target_hz must be positive, got ${o.target_hz}`);
    this.target_hz = o.target_hz;
    this.period_ns = 1e9 / o.target_hz;
    this.budget_ns = o.budget_ns ?? this.period_ns;
    this.window = Math.max(2, Math.floor(o.window_ticks ?? o.target_hz * 5));
    this.start_ns = new Float64Array(this.window);
    this.periodErr_ns = new Float64Array(this.window);
    this.duration_ns = new Float64Array(this.window);
    this.missedAt = new Uint32Array(this.window);
  }

  /** Deadlines the timer skipped before the next recorded tick. */
  addMissed(n: number): void {
    this.pendingMissed += n;
    this.missedTotal += n;
  }

  /** One tick: when it started and how long its work took. O(1), allocation-free. */
  record(start_ns: number, duration_ns: number): void {
    const slot = this.count % this.window;
    if (this.count >= this.window) this.evict(slot);
    const err = Number.isNaN(this.lastStart_ns) ? NaN : Math.abs(start_ns - this.lastStart_ns - this.period_ns);
    this.lastStart_ns = start_ns;
    this.start_ns[slot] = start_ns;
    this.periodErr_ns[slot] = err;
    this.duration_ns[slot] = duration_ns;
    this.missedAt[slot] = this.pendingMissed;
    this.missedInWindow += this.pendingMissed;
    this.pendingMissed = 0;
    if (!Number.isNaN(err)) this.periodHist.add(err);
    this.durationHist.add(duration_ns);
    if (duration_ns > this.budget_ns) this.overBudget++;
    this.count++;
  }

  private evict(slot: number): void {
    const err = this.periodErr_ns[slot]!;
    if (!Number.isNaN(err)) this.periodHist.remove(err);
    const d = this.duration_ns[slot]!;
    this.durationHist.remove(d);
    if (d > this.budget_ns) this.overBudget--;
    this.missedInWindow -= this.missedAt[slot]!;
  }

  /** O(window + buckets): call it once a second, not every tick. */
  snapshot(): CadenceSnapshot {
    const n = Math.min(this.count, this.window);
    const newest = (this.count - 1) % this.window;
    const oldest = this.count > this.window ? this.count % this.window : 0;
    let errMax = 0;
    let durMax = 0;
    for (let i = 0; i < n; i++) {
      const e = this.periodErr_ns[i]!;
      if (e > errMax) errMax = e;
      const d = this.duration_ns[i]!;
      if (d > durMax) durMax = d;
    }
    // Missed deadlines are time the loop was alive but did not tick, so they lower the achieved rate.
    const span_ns = n >= 2 ? this.start_ns[newest]! - this.start_ns[oldest]! : NaN;
    const us = (ns: number) => ns / 1000;
    return {
      target_hz: this.target_hz,
      achieved_hz: n >= 2 && span_ns > 0 ? ((n - 1) * 1e9) / span_ns : NaN,
      ticks: n,
      ticks_total: this.count,
      over_budget: this.overBudget,
      missed: this.missedInWindow,
      missed_total: this.missedTotal,
      period_error_p50_us: us(Math.min(this.periodHist.percentile_ns(50), errMax)),
      period_error_p99_us: us(Math.min(this.periodHist.percentile_ns(99), errMax)),
      period_error_max_us: us(errMax),
      tick_p50_us: us(Math.min(this.durationHist.percentile_ns(50), durMax)),
      tick_p99_us: us(Math.min(this.durationHist.percentile_ns(99), durMax)),
      tick_max_us: us(durMax),
    };
  }

  format(s: CadenceSnapshot = this.snapshot()): string {
    return formatCadence(s);
  }
}

const r = (v: number) => (Number.isNaN(v) ? '-' : String(Math.round(v)));

/** "499.8 Hz vs 500 Hz target, 3/2500 ticks over budget, period error p50 4 us p99 38 us max 120 us, tick p99 45 us, 0 missed" */
export function formatCadence(s: CadenceSnapshot): string {
  const hz = Number.isNaN(s.achieved_hz) ? '-' : s.achieved_hz.toFixed(1);
  return (
    `${hz} Hz vs ${s.target_hz} Hz target, ${s.over_budget}/${s.ticks} ticks over budget, ` +
    `period error p50 ${r(s.period_error_p50_us)} us p99 ${r(s.period_error_p99_us)} us max ${r(s.period_error_max_us)} us, ` +
    `tick p99 ${r(s.tick_p99_us)} us, ${s.missed} missed`
  );
}
