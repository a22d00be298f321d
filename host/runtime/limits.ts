// The safety envelope for a calibrated robot: each position joint's range is narrowed to the calibration's soft limits.
import type { Calibration } from '../calibration/schema.ts';
import type { EnvelopeConfigInput } from '../executor/envelope-config.ts';

/**
 * Intersects every position joint's [min, max] with the soft limits measured by calibration. It only ever narrows:
 * a calibration file (data from outside) cannot widen the envelope. An empty intersection is an error naming the joint.
 */
export function envelopeWithCalibration(env: EnvelopeConfigInput, cal: Calibration): EnvelopeConfigInput {
  return {
    ...env,
    joints: env.joints.map((j) => {
      const c = cal.joints[j.name];
      if (j.kind !== 'position' || !c?.soft_limits_rad) return j;
      const min = Math.max(j.position_min_rad, c.soft_limits_rad[0]);
      const max = Math.min(j.position_max_rad, c.soft_limits_rad[1]);
      if (!(min < max)) throw new Error(`joint ${j.name}: calibrated soft limits [${c.soft_limits_rad.join(', ')}] rad leave nothing of the envelope's [${j.position_min_rad}, ${j.position_max_rad}] rad`);
      return { ...j, position_min_rad: min, position_max_rad: max };
    }),
  };
}
