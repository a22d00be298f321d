// The calibration file (calibration/<robot>.json) as a zod schema: per joint, how encoder counts map to radians,
// the wiring flags calibration found, soft limits and gains. Parsed at the file boundary; errors name the field.
import { z } from 'zod';
import { PidSchema } from '../hw/robot.ts';

/** Bump when the format changes; add a migration from the old version to MIGRATIONS in file.ts. */
export const CALIBRATION_VERSION = 1;

const finite = z.number().finite();
const RangeRad = z.tuple([finite, finite]).refine(([lo, hi]) => lo < hi, { message: 'min must be below max' });

/** How the joint's absolute zero was found; a runtime re-homes the same way after the counts are lost (power-up). */
export const HomeSchema = z.strictObject({
  /** Which end gave the absolute reference: a hard stop (stall) or a limit switch. */
  reference: z.enum(['stall_neg', 'stall_pos', 'limit_neg', 'limit_pos', 'stalls_both']),
  /** [rad] the robot file's hard stops the reference was taken from. */
  hard_stops_rad: RangeRad,
  /** [rad] travel measured between the two ends. */
  measured_range_rad: finite.positive(),
  /** [counts] where each end was found, in this file's count frame. */
  neg_end_counts: z.number().int(),
  pos_end_counts: z.number().int(),
});

export const DcJointSchema = z.strictObject({
  kind: z.literal('dc'),
  node: z.string().min(1),
  motor: z.number().int().min(0).max(3),
  /** [counts/rad] of the output shaft: encoder_cpr * gear_ratio / 2pi. */
  counts_per_rad: finite.positive(),
  /** [counts] encoder count at joint angle 0, in the frame that starts at 0 when the motor is first configured after power-up (a reconnect keeps the count). */
  zero_offset_counts: z.number().int(),
  /** +1 when increasing counts (after the invert flags) is the joint's positive direction, else -1. */
  direction: z.union([z.literal(1), z.literal(-1)]),
  /** Firmware flags calibration found (they replace the robot file's guesses). */
  invert_dir: z.boolean(),
  invert_encoder: z.boolean(),
  /** [rad] where the runtime may command the joint; null for continuous joints (wheels). */
  soft_limits_rad: RangeRad.nullable(),
  pid: PidSchema,
  /** Absent for joints without stops (wheels). */
  home: HomeSchema.nullable(),
});

export const ServoJointSchema = z
  .strictObject({
    kind: z.literal('servo'),
    node: z.string().min(1),
    servo: z.number().int().min(0).max(3),
    /** [us] accepted pulse range, from the robot file. */
    pulse_range_us: z.tuple([z.number().int().min(500).max(2500), z.number().int().min(500).max(2500)]),
    /** [us] pulse at joint angle 0. */
    us_at_zero_rad: finite,
    /** [us/rad] pulse change per radian (negative for a servo mounted the other way). */
    us_per_rad: finite.refine((v) => v !== 0, { message: 'must not be 0' }),
    soft_limits_rad: RangeRad,
  })
  .refine((s) => s.pulse_range_us[0] < s.pulse_range_us[1], { message: 'pulse_range_us: min must be below max', path: ['pulse_range_us'] });

export const JointCalibrationSchema = z.discriminatedUnion('kind', [DcJointSchema, ServoJointSchema]);

export const CalibrationSchema = z.strictObject({
  version: z.literal(CALIBRATION_VERSION),
  robot: z.string().regex(/^[a-z0-9-]+$/),
  /** Hash of the wiring this was made for (wiring-hash.ts): a changed wiring makes the file a mismatch. */
  wiring_hash: z.string().regex(/^sha256:[0-9a-f]{16}$/),
  /** ISO 8601 time the calibration was made. */
  created: z.iso.datetime(),
  /** auto: the emulator-or-robot procedure without a human; wizard: guided by hand. */
  method: z.enum(['auto', 'wizard']),
  /** Joint name -> its calibration. */
  joints: z.record(z.string().min(1), JointCalibrationSchema),
});

export type Calibration = z.infer<typeof CalibrationSchema>;
export type DcJointCalibration = z.infer<typeof DcJointSchema>;
export type ServoJointCalibration = z.infer<typeof ServoJointSchema>;
export type JointCalibration = z.infer<typeof JointCalibrationSchema>;
export type HomeInfo = z.infer<typeof HomeSchema>;
