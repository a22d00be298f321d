// The leader device's calibration (calibration/<robot>-leader.json): which pot drives which follower joint and how its ADC range maps onto the joint's range; zod-checked, written atomically.
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { readJsonFile, validateJson } from '../util/read-json.ts';

const finite = z.number().finite();
const Counts = z.number().int().min(0).max(1023);

export const LeaderJointSchema = z
  .strictObject({
    /** Index into status.analog of the leader node. */
    analog: z.number().int().min(0).max(7),
    /** [counts] ADC reading at the two ends of the operator's sweep. */
    adc_min: Counts,
    adc_max: Counts,
    /** [rad] the follower joint's range these ends map to (its soft limits). */
    joint_min_rad: finite,
    joint_max_rad: finite,
    /** The pot turns the other way round from the joint. */
    invert: z.boolean(),
  })
  .refine((j) => j.adc_max - j.adc_min >= 50, { message: 'adc_max - adc_min must be >= 50 counts: sweep the pot through its range when calibrating' })
  .refine((j) => j.joint_min_rad < j.joint_max_rad, { message: 'joint_min_rad must be below joint_max_rad' });

export const LeaderCalibrationSchema = z.strictObject({
  format: z.literal('ganglion.leader/1'),
  robot: z.string().min(1),
  node: z.string().min(1),
  created: z.iso.datetime(),
  /** Index into status.inputs of the deadman button. */
  button_input: z.number().int().min(0).max(3),
  /** Follower joint name -> the pot that drives it. */
  joints: z.record(z.string().min(1), LeaderJointSchema),
});

export type LeaderJoint = z.output<typeof LeaderJointSchema>;
export type LeaderCalibration = z.output<typeof LeaderCalibrationSchema>;

export const leaderCalibrationPath = (calibrationDir: string, robot: string) => path.join(calibrationDir, `${robot}-leader.json`);

/** [counts] a reading this far outside the calibrated sweep is refused (a pot unplugged reads 0 or 1023). */
export const ADC_MARGIN_FRACTION = 0.08;

/** ADC counts -> follower joint angle, linear over the calibrated sweep, clamped to the joint's range. */
export function countsToJointRad(j: LeaderJoint, counts: number): number {
  const u = Math.min(1, Math.max(0, (counts - j.adc_min) / (j.adc_max - j.adc_min)));
  const f = j.invert ? 1 - u : u;
  return j.joint_min_rad + f * (j.joint_max_rad - j.joint_min_rad);
}

/** Null when the reading is plausible, else why not (one sentence naming the joint and the fix). */
export function badReading(joint: string, j: LeaderJoint, counts: number): string | null {
  if (!Number.isFinite(counts)) return `leader pot for ${joint} reads ${counts}`;
  const margin = ADC_MARGIN_FRACTION * (j.adc_max - j.adc_min);
  if (counts < j.adc_min - margin || counts > j.adc_max + margin)
    return `leader pot for ${joint} reads ${counts} counts, outside its calibrated ${j.adc_min}..${j.adc_max} (+-${Math.round(margin)}): is it unplugged? (recalibrate with ganglion teleop --calibrate)`;
  return null;
}

/** A calibration from the sweep: per joint, the lowest and highest counts seen while the operator turned the pot end to end. */
export function calibrationFromSweep(
  robot: string,
  node: string,
  button_input: number,
  sweeps: Record<string, { analog: number; counts: readonly number[]; joint_range_rad: [number, number]; invert?: boolean }>,
  now = new Date(),
): LeaderCalibration {
  const joints: Record<string, LeaderJoint> = {};
  for (const [name, s] of Object.entries(sweeps)) {
    if (s.counts.length === 0) throw new Error(`leader calibration: no readings of the pot for ${name} (analog ${s.analog})`);
    joints[name] = { analog: s.analog, adc_min: Math.min(...s.counts), adc_max: Math.max(...s.counts), joint_min_rad: s.joint_range_rad[0], joint_max_rad: s.joint_range_rad[1], invert: s.invert ?? false };
  }
  return parseLeaderCalibration({ format: 'ganglion.leader/1', robot, node, created: now.toISOString(), button_input, joints }, 'leader calibration');
}

const RECALIBRATE = 'recalibrate with ganglion teleop --source leader --calibrate';

export function parseLeaderCalibration(raw: unknown, file: string): LeaderCalibration {
  return validateJson(raw, LeaderCalibrationSchema, file, { fix: RECALIBRATE });
}

export function loadLeaderCalibration(file: string): LeaderCalibration {
  return readJsonFile(file, LeaderCalibrationSchema, {
    ifMissing: 'calibrate the leader first (ganglion teleop --source leader --calibrate)',
    fix: RECALIBRATE,
  });
}

/** Validated, then written whole (temp file, fsync, rename): a crash leaves the old file or the new one. */
export function writeLeaderCalibration(file: string, cal: LeaderCalibration): void {
  writeFileAtomic(file, `${JSON.stringify(parseLeaderCalibration(cal, file), null, 2)}\n`);
}
