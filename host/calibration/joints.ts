// Joint units <-> MCU units with a calibration: counts <-> rad (position and velocity) for DC joints, us <-> rad for servos.
import type { Calibration, DcJointCalibration, ServoJointCalibration } from './schema.ts';

/** [rad] joint angle of an encoder count. */
export function countsToRad(j: DcJointCalibration, counts: number): number {
  return (j.direction * (counts - j.zero_offset_counts)) / j.counts_per_rad;
}

/** [counts] (integer: the nearest encoder count) for a joint angle. */
export function radToCounts(j: DcJointCalibration, rad: number): number {
  return Math.round(radToCountsExact(j, rad));
}

/** [counts] for a joint angle, not rounded: a POSITION setpoint carries the fraction (protocol/position.ts). */
export function radToCountsExact(j: DcJointCalibration, rad: number): number {
  return j.zero_offset_counts + j.direction * rad * j.counts_per_rad;
}

/** [rad/s] from [counts/s]: velocity has no offset, only scale and sign. */
export function cpsToRadps(j: DcJointCalibration, cps: number): number {
  return (j.direction * cps) / j.counts_per_rad;
}

/** [counts/s] (integer, what set_motors VELOCITY takes) for [rad/s]. */
export function radpsToCps(j: DcJointCalibration, radps: number): number {
  return Math.round(j.direction * radps * j.counts_per_rad);
}

/** [us] servo pulse for a joint angle, clamped to the pulse range. */
export function radToUs(s: ServoJointCalibration, rad: number): number {
  const us = Math.round(s.us_at_zero_rad + rad * s.us_per_rad);
  return Math.min(s.pulse_range_us[1], Math.max(s.pulse_range_us[0], us));
}

/** [rad] servo joint angle of a pulse width. */
export function usToRad(s: ServoJointCalibration, us: number): number {
  return (us - s.us_at_zero_rad) / s.us_per_rad;
}

/** Lookups by joint name that fail with the names there are. */
export function dcJoint(cal: Calibration, name: string): DcJointCalibration {
  const j = cal.joints[name];
  if (!j || j.kind !== 'dc') throw new Error(`calibration of robot ${cal.robot} has no DC joint "${name}" (it has ${dcNames(cal).join(', ') || 'none'})`);
  return j;
}

export function servoJoint(cal: Calibration, name: string): ServoJointCalibration {
  const j = cal.joints[name];
  if (!j || j.kind !== 'servo') throw new Error(`calibration of robot ${cal.robot} has no servo joint "${name}"`);
  return j;
}

function dcNames(cal: Calibration): string[] {
  return Object.entries(cal.joints).filter(([, j]) => j.kind === 'dc').map(([n]) => n);
}
