// Hobby servo: decodes the pulse width of each 50 Hz frame into a horn angle, slewing at a real servo's speed.

/** [us] pulse widths a servo accepts as commands; anything else is a glitch and ignored. */
const VALID_US: [number, number] = [400, 2600];
/** [rad/s] no-load speed of a typical micro servo (0.1 s per 60 deg). */
const SLEW_RAD_S = Math.PI / 3 / 0.1;
/** [us] a frame is 20 ms; three missed frames and the servo's electronics stop driving (limp). */
const LIMP_AFTER_US = 60_000;

export class ServoPlant {
  /** [rad] horn angle: 1000 us -> 0, 2000 us -> pi, clamped to that travel. */
  angle_rad: number;
  /** [us] width of the last valid pulse, 0 before the first one. */
  pulse_us = 0;
  private lastPulseAt_us = -Infinity;
  private lastUpdate_us = 0;

  constructor(initial_rad = Math.PI / 2) {
    this.angle_rad = initial_rad;
  }

  /** A complete high pulse on the signal pin ended at t_us. */
  pulse(width_us: number, t_us: number): void {
    if (width_us < VALID_US[0] || width_us > VALID_US[1]) return;
    this.pulse_us = width_us;
    this.lastPulseAt_us = t_us;
  }

  /** Not driven: no pulse within the last few frames. The horn then holds where it is. */
  limp(t_us: number): boolean {
    return t_us - this.lastPulseAt_us > LIMP_AFTER_US;
  }

  static targetRad(pulse_us: number): number {
    return Math.min(Math.PI, Math.max(0, ((pulse_us - 1000) / 1000) * Math.PI));
  }

  update(t_us: number): void {
    const dt_s = Math.max(0, t_us - this.lastUpdate_us) / 1e6;
    this.lastUpdate_us = t_us;
    if (this.limp(t_us)) return;
    const err = ServoPlant.targetRad(this.pulse_us) - this.angle_rad;
    const maxStep = SLEW_RAD_S * dt_s;
    this.angle_rad += Math.max(-maxStep, Math.min(maxStep, err));
  }
}
