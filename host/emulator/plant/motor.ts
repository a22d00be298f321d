// Brushed DC motor + gearbox physics: winding current from terminal voltage and back-EMF, rotor dynamics, hard stops.
import type { MotorPlant } from '../../hw/robot.ts';

/** What the H-bridge applies, averaged over the step. */
export interface Drive {
  /** [V] average terminal voltage (duty * supply * direction). */
  volts_v: number;
  /**
   * Fraction of the time the winding is a closed circuit (1 for drive or brake on a TB6612, whose PWM-off
   * phase shorts the winding; duty for an L298N, which floats it; 0 when coasting). Back-EMF only
   * drives current while the circuit is closed.
   */
  closed: number;
}

export const COAST: Drive = { volts_v: 0, closed: 0 };

/** [s] integration substep: 20x below the fastest time constant of the reference motors (J*R/kt^2 ~ 40-50 ms). */
const MAX_SUBSTEP_S = 1e-4;

export class DcMotorPlant {
  /** [rad] motor shaft angle (the encoder's shaft), absolute. */
  motor_rad: number;
  /** [rad/s] motor shaft velocity. */
  motor_rad_s = 0;
  /** [A] winding current at the end of the last step. */
  current_a = 0;
  /** True while a hard stop holds the output shaft. */
  atStop: 'neg' | 'pos' | null = null;
  private readonly stops_motor_rad: [number, number] | null;

  constructor(
    readonly p: MotorPlant,
    readonly gear_ratio: number,
  ) {
    this.motor_rad = p.initial_rad * gear_ratio;
    this.stops_motor_rad = p.hard_stops_rad ? [p.hard_stops_rad[0] * gear_ratio, p.hard_stops_rad[1] * gear_ratio] : null;
  }

  /** [rad] output (joint) shaft angle. */
  get output_rad(): number {
    return this.motor_rad / this.gear_ratio;
  }

  /** [rad/s] output shaft velocity. */
  get output_rad_s(): number {
    return this.motor_rad_s / this.gear_ratio;
  }

  /** Advance by dt_s with a constant drive: semi-implicit Euler in substeps (stable: velocity first, then angle). */
  step(dt_s: number, drive: Drive): void {
    const n = Math.max(1, Math.ceil(dt_s / MAX_SUBSTEP_S));
    const h = dt_s / n;
    for (let k = 0; k < n; k++) this.substep(h, drive);
  }

  private substep(h: number, d: Drive): void {
    const { resistance_ohm: r, kt_nm_per_a: kt, inertia_kgm2: j, viscous_nms: b, coulomb_nm: fc } = this.p;
    let w = this.motor_rad_s;
    const i = (d.volts_v - d.closed * kt * w) / r;
    this.current_a = i;
    const drive_nm = kt * i - b * w;
    if (w === 0) {
      // Static friction holds the rotor until the drive torque exceeds it (no chatter around zero).
      if (Math.abs(drive_nm) > fc) w = (h / j) * (drive_nm - fc * Math.sign(drive_nm));
    } else {
      const next = w + (h / j) * (drive_nm - fc * Math.sign(w));
      // Friction can stop the rotor but never reverse it within one substep.
      w = Math.sign(next) !== Math.sign(w) ? 0 : next;
    }
    let a = this.motor_rad + w * h;
    this.atStop = null;
    if (this.stops_motor_rad) {
      const [lo, hi] = this.stops_motor_rad;
      // A hard stop absorbs the motion: the output cannot pass it and the motor stalls.
      if (a <= lo && w <= 0) {
        a = lo;
        w = 0;
        this.atStop = 'neg';
      } else if (a >= hi && w >= 0) {
        a = hi;
        w = 0;
        this.atStop = 'pos';
      }
    }
    this.motor_rad = a;
    this.motor_rad_s = w;
  }
}
