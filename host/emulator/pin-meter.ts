// Per-pin level history in CPU cycles: slice-averaged duty (what a motor integrates), last-period PWM duty and pulse widths.

/** Tracks one driven pin from its level changes. All times are CPU cycles. */
export class PinMeter {
  high = false;
  private since = 0;
  private highAcc = 0;
  private accFrom = 0;
  private lastRise = -1;
  private lastPeriodDuty = -1;
  private lastFall = -1;
  /** [cycles] high time of the most recent complete pulse (rise -> fall), -1 before the first one. */
  lastPulseCycles = -1;
  /** [cycles] when that pulse ended. */
  lastPulseEnd = -1;
  private onPulse: ((widthCycles: number, endCycles: number) => void) | null = null;

  constructor(now = 0) {
    this.since = now;
    this.accFrom = now;
  }

  /** Called for every level change of the pin (the harness only reports real changes). */
  edge(high: boolean, cycles: number): void {
    if (high === this.high) return;
    if (this.high) this.highAcc += cycles - this.since;
    this.high = high;
    this.since = cycles;
    if (high) {
      if (this.lastRise >= 0 && this.lastFall > this.lastRise) {
        this.lastPeriodDuty = (this.lastFall - this.lastRise) / (cycles - this.lastRise);
      }
      this.lastRise = cycles;
    } else {
      this.lastFall = cycles;
      if (this.lastRise >= 0) {
        this.lastPulseCycles = cycles - this.lastRise;
        this.lastPulseEnd = cycles;
        this.onPulse?.(this.lastPulseCycles, cycles);
      }
    }
  }

  /** [cycles] the pin's latest level change, -1 before the first one. */
  get lastEdge(): number {
    return Math.max(this.lastRise, this.lastFall);
  }

  /** Be told about every complete high pulse (servo decoding). */
  pulses(listener: (widthCycles: number, endCycles: number) => void): void {
    this.onPulse = listener;
  }

  /** Fraction of time high since the previous call: the exact average a motor's winding sees over a slice. */
  takeAverage(now: number): number {
    let acc = this.highAcc;
    if (this.high) acc += now - this.since;
    const span = now - this.accFrom;
    this.highAcc = 0;
    this.accFrom = now;
    if (this.high) this.since = now;
    return span > 0 ? Math.min(1, acc / span) : this.high ? 1 : 0;
  }

  /**
   * Duty of the last complete PWM period (rise to rise), as a scope would show it. A pin that has not
   * toggled for `staleCycles` (several periods) is steady: its duty is its level.
   */
  duty(now: number, staleCycles: number): number {
    const lastEdge = Math.max(this.lastRise, this.lastFall);
    if (this.lastPeriodDuty < 0 || lastEdge < 0 || now - lastEdge > staleCycles) return this.high ? 1 : 0;
    return this.lastPeriodDuty;
  }
}
