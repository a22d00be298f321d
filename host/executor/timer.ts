// Fixed-rate hybrid timer: absolute deadlines (anchor + k*period), sleep most of each period, spin the rest, re-anchor after overruns.
import { monoNow_ns } from '../util/mono-clock.ts';

/** Injected so the schedule logic runs deterministically in tests. */
export interface TimerClock {
  now_ns(): number;
  /** Block the thread for about ms milliseconds. Returns true when woken early to stop. */
  sleep_ms(ms: number): boolean;
}

/** The deadlines of a fixed-rate loop. Pure: no clock of its own. */
export class Schedule {
  readonly period_ns: number;
  private anchor_ns: number;
  private k = 0;
  /** Deadlines skipped because a tick started more than one period late. */
  missed = 0;
  reanchors = 0;
  /** Deadlines skipped by the latest arrive(). */
  skipped = 0;

  constructor(period_ns: number, start_ns: number) {
    if (!(period_ns > 0)) throw new Error(`schedule period must be positive, got ${period_ns} ns`);
    this.period_ns = period_ns;
    this.anchor_ns = start_ns;
  }

  /**
   * Deadline of the current tick. Multiplying from the anchor (never adding periods up) means rounding
   * and late wake-ups do not accumulate into drift.
   */
  get deadline_ns(): number {
    return this.anchor_ns + this.k * this.period_ns;
  }

  /**
   * The tick for the current deadline starts at now_ns; returns how late it is. More than one period
   * late: count the deadlines that passed and re-anchor at now, because running them all back to back
   * (a burst) would send the motors a string of stale setpoints in microseconds.
   */
  arrive(now_ns: number): number {
    const late_ns = now_ns - this.deadline_ns;
    this.skipped = 0;
    if (late_ns > this.period_ns) {
      this.skipped = Math.floor(late_ns / this.period_ns);
      this.missed += this.skipped;
      this.reanchors++;
      this.anchor_ns = now_ns;
      this.k = 0;
    }
    return late_ns;
  }

  /** Move on to the next deadline. */
  advance(): void {
    this.k++;
  }
}

/**
 * How long before a deadline to stop sleeping and start spinning. A sleep overshoots by the OS wake-up
 * latency, so the margin must cover most wake-ups; every microsecond beyond that is CPU burnt spinning.
 * Adaptive mode tracks a high quantile (default 99.5 %) of the observed overshoot with a stochastic
 * quantile estimate (O(1), no buffers): each overshoot above the estimate raises it by step*q, each one
 * below lowers it by step*(1-q), which settles where q of the samples fall below. The margin is capped
 * (default half a period) because a wake-up later than that is a preemption that spinning cannot fix.
 * Why 99.5 %: one late tick spoils two period errors (its own and the next one's), so a p99 period error at the
 * floor needs fewer than 0.5 % of wake-ups past the margin. On the 2-core VM a wake-up is 0.2-1 ms late in bursts
 * every 512 ms (up to ~0.6 % of ticks; a C clock_nanosleep loop sees the same bursts smaller); at 98 % + 20 us those bursts
 * were the loop's p99, at 99.5 % + 50 us the margin settles near 215 us at 1 kHz and spins through them.
 */
export class SpinMargin {
  value_ns: number;
  private estimate_ns: number;
  constructor(
    initial_ns: number,
    readonly adaptive: boolean,
    readonly max_ns: number,
    readonly min_ns = 20_000,
    readonly quantile = 0.995,
    readonly step_ns = 5_000,
    /** Added above the estimate, for wake-ups a little worse than the tracked quantile. */
    readonly headroom_ns = 50_000,
  ) {
    this.value_ns = Math.min(initial_ns, max_ns);
    this.estimate_ns = Math.max(0, this.value_ns - headroom_ns);
  }

  /** oversleep_ns: how much later than asked a sleep returned. */
  observe(oversleep_ns: number): void {
    if (!this.adaptive) return;
    this.estimate_ns += oversleep_ns > this.estimate_ns ? this.step_ns * this.quantile : -this.step_ns * (1 - this.quantile);
    if (this.estimate_ns < 0) this.estimate_ns = 0;
    if (this.estimate_ns > this.max_ns) this.estimate_ns = this.max_ns;
    const wanted_ns = this.estimate_ns + this.headroom_ns;
    // Past the cap, the late wake-ups are preemptions (the cores are busy): spinning cannot absorb them, and a spinning
    // thread under the default scheduler is charged for the spin and wakes later still. Then sleep to the deadline.
    this.value_ns = wanted_ns > this.max_ns ? this.min_ns : Math.max(this.min_ns, wanted_ns);
  }
}

export interface TickTiming {
  /** Ticks run so far, starting at 0. */
  index: number;
  deadline_ns: number;
  start_ns: number;
  late_ns: number;
  /** Deadlines skipped just before this tick (0 normally). */
  skipped: number;
  spin_margin_ns: number;
}

export interface HybridTimerOptions {
  rate_hz: number;
  /** [us] spin before each deadline (the initial value when adaptive). */
  spin_margin_us?: number;
  adaptive_spin?: boolean;
  /** [us] adaptive ceiling; default half a period. */
  max_spin_margin_us?: number;
}

/**
 * Runs onTick once per period until it returns false or the clock's sleep reports a stop. Blocks the
 * calling thread: run it in a worker. The timing object is reused between ticks (no allocation).
 */
export function runHybridTimer(o: HybridTimerOptions, clock: TimerClock, onTick: (t: TickTiming) => boolean): Schedule {
  const period_ns = Math.round(1e9 / o.rate_hz);
  const margin = new SpinMargin((o.spin_margin_us ?? 200) * 1000, o.adaptive_spin ?? true, (o.max_spin_margin_us ?? (period_ns / 2 / 1000)) * 1000);
  const sched = new Schedule(period_ns, clock.now_ns() + period_ns);
  const timing: TickTiming = { index: 0, deadline_ns: 0, start_ns: 0, late_ns: 0, skipped: 0, spin_margin_ns: 0 };
  for (;;) {
    const deadline_ns = sched.deadline_ns;
    let now_ns = clock.now_ns();
    const sleep_ns = deadline_ns - now_ns - margin.value_ns;
    if (sleep_ns > 0) {
      if (clock.sleep_ms(sleep_ns / 1e6)) return sched;
      const woke_ns = clock.now_ns();
      margin.observe(woke_ns - (now_ns + sleep_ns));
      now_ns = woke_ns;
    }
    while (now_ns < deadline_ns) now_ns = clock.now_ns();
    timing.late_ns = sched.arrive(now_ns);
    timing.deadline_ns = deadline_ns;
    timing.start_ns = now_ns;
    timing.skipped = sched.skipped;
    timing.spin_margin_ns = margin.value_ns;
    if (!onTick(timing)) return sched;
    timing.index++;
    sched.advance();
  }
}

/** The real clock for a worker: sleeps with Atomics.wait on a shared word, so another thread can wake it to stop. */
export function atomicsClock(stopWord: Int32Array, index = 0): TimerClock {
  return {
    now_ns: monoNow_ns,
    sleep_ms(ms: number): boolean {
      // 'ok' = notified (stop), 'not-equal' = the stop flag was already set, 'timed-out' = slept.
      return Atomics.wait(stopWord, index, 0, ms) !== 'timed-out';
    },
  };
}
