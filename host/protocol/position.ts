// POSITION setpoints on the wire: encoder counts in Q24.8 (CONSTANTS.POSITION.FRAC_BITS), so a reference between counts travels.
import { CONSTANTS } from './messages.ts';

const SCALE = 2 ** CONSTANTS.POSITION.FRAC_BITS;
/** [counts] the largest POSITION target the wire holds, either sign: 2^23 counts, far beyond any joint's travel. */
export const POSITION_MAX_COUNTS = (2 ** 31 - 1) / SCALE;

/**
 * [counts/256] set_motors' POSITION value for a target in counts (any real number), to the nearest 1/256 count.
 * Clamped to the wire's range: a calibrated joint's soft limits sit far inside it, so the clamp never moves a joint
 * and only keeps a broken calibration from wrapping around.
 */
export function positionSetpoint(counts: number): number {
  return Math.max(-(2 ** 31) + 1, Math.min(2 ** 31 - 1, Math.round(counts * SCALE)));
}

/** [counts] the target a set_motors POSITION value stands for. */
export function positionCounts(setpoint: number): number {
  return setpoint / SCALE;
}
