// Safety-envelope limits as data (zod): per-joint limits, base workspace, remote sources. Later loaded from a calibration file.
import { z } from 'zod';
import { zodIssue } from '../util/zod-issue.ts';

const positive = z.number().positive().finite();
const finite = z.number().finite();

/** A joint pushing hard (large tracking error) without moving for time_ms is stalled: torque off, latched. */
const PositionStall = z.strictObject({
  tracking_error_rad: positive,
  /** Below this speed the joint counts as not moving. */
  still_radps: positive,
  time_ms: positive,
});
const VelocityStall = z.strictObject({
  tracking_error_radps: positive,
  still_radps: positive,
  time_ms: positive,
});

/** What a joint does while its command is replaced (e-stop, lost heartbeat, bad number). */
const OnSafe = z.enum(['hold', 'torque_off']).default('hold');

export const PositionJointSchema = z
  .strictObject({
    name: z.string().min(1),
    kind: z.literal('position'),
    position_min_rad: finite,
    position_max_rad: finite,
    velocity_max_radps: positive,
    /** Limits speeding up only: slowing down is always allowed, so a position target never overshoots. */
    accel_max_radps2: positive,
    /** Largest change of the target in one tick (LeRobot's max_relative_target, per tick). */
    max_step_rad: positive,
    /** Largest distance the target may lead the measured position (LeRobot's max_relative_target). */
    max_lead_rad: positive.optional(),
    stall: PositionStall.optional(),
    on_safe: OnSafe,
  })
  .refine((j) => j.position_min_rad < j.position_max_rad, { message: 'position_min_rad must be below position_max_rad' });

export const VelocityJointSchema = z.strictObject({
  name: z.string().min(1),
  kind: z.literal('velocity'),
  velocity_max_radps: positive,
  /** Limits both speeding up and slowing down, except a safe stop, which is immediate. */
  accel_max_radps2: positive,
  max_step_radps: positive,
  stall: VelocityStall.optional(),
  on_safe: OnSafe,
});

export const JointLimitsSchema = z.discriminatedUnion('kind', [PositionJointSchema, VelocityJointSchema]);

/**
 * A box the differential-drive base must stay in. At or beyond an edge, wheel speeds that would carry
 * the base further out lose their forward part; turning in place (to face back in) stays allowed. The
 * refusal happens before the acceleration ramp, so leave a margin of the braking distance v^2/(2a).
 */
export const WorkspaceSchema = z
  .strictObject({
    x_min_m: finite,
    x_max_m: finite,
    y_min_m: finite,
    y_max_m: finite,
    wheel_left: z.string(),
    wheel_right: z.string(),
    wheel_radius_m: positive,
  })
  .refine((w) => w.x_min_m < w.x_max_m && w.y_min_m < w.y_max_m, { message: 'workspace min must be below max' });

export const RemoteSourceSchema = z.strictObject({
  id: z.string().min(1),
  /** Actions from this source are replaced by hold/stop once its latest heartbeat is older than this. */
  heartbeat_timeout_ms: positive,
});

export const EnvelopeConfigSchema = z
  .strictObject({
    joints: z.array(JointLimitsSchema).min(1),
    workspace: WorkspaceSchema.optional(),
    sources: z.array(RemoteSourceSchema).default([]),
    /** Hold everything when the state snapshot is older than this (a dead telemetry producer). */
    state_timeout_ms: positive.optional(),
    /**
     * What an e-stop does to every joint. torque_off (default) is a stop category 0 (IEC 60204-1): power is removed,
     * as the firmware's e-stop input does. per_joint uses each joint's on_safe (hold: servo in place, brake actively).
     */
    on_estop: z.enum(['torque_off', 'per_joint']).default('torque_off'),
  })
  .superRefine((c, ctx) => {
    const names = c.joints.map((j) => j.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['joints', i, 'name'], message: `duplicate joint "${n}"` });
    });
    if (c.workspace) {
      for (const key of ['wheel_left', 'wheel_right'] as const) {
        const j = c.joints.find((x) => x.name === c.workspace![key]);
        if (!j || j.kind !== 'velocity')
          ctx.addIssue({ code: 'custom', path: ['workspace', key], message: `"${c.workspace[key]}" is not a velocity joint` });
      }
    }
  });

export type EnvelopeConfigInput = z.input<typeof EnvelopeConfigSchema>;
export type EnvelopeConfig = z.output<typeof EnvelopeConfigSchema>;
export type JointLimits = z.output<typeof JointLimitsSchema>;

/** Parse at the trust boundary; the error names the field. */
export function parseEnvelopeConfig(raw: unknown): EnvelopeConfig {
  const r = EnvelopeConfigSchema.safeParse(raw);
  if (!r.success) {
    throw new Error(`envelope config: ${zodIssue(r.error)}`);
  }
  return r.data;
}

/** Envelope limits before the robot file adds its wheel radius: the workspace box names its wheels but not their size. */
export type EnvelopeLimits = Omit<EnvelopeConfigInput, 'workspace'> & { workspace?: Omit<NonNullable<EnvelopeConfigInput['workspace']>, 'wheel_radius_m'> };

/** The envelope for a robot: `limits` with the wheel radius from its robot file's kinematics (one number, one place). */
export function envelopeFor(limits: EnvelopeLimits, kinematics: { wheel_radius_m?: number }, robotName = 'robot'): EnvelopeConfigInput {
  if (!limits.workspace) return { ...limits, workspace: undefined };
  const r = kinematics.wheel_radius_m;
  if (r === undefined || !(r > 0)) throw new Error(`robot ${robotName}: kinematics.wheel_radius_m must be a positive number (the envelope's workspace check needs it)`);
  return { ...limits, workspace: { ...limits.workspace, wheel_radius_m: r } };
}

/** Joint limits and workspace of the reference robot (schematics/reference-robot.json), until calibration files provide them. */
export const REFERENCE_LIMITS: EnvelopeLimits = {
  joints: [
    { name: 'wheel_left', kind: 'velocity', velocity_max_radps: 20, accel_max_radps2: 60, max_step_radps: 1, stall: { tracking_error_radps: 5, still_radps: 0.2, time_ms: 300 } },
    { name: 'wheel_right', kind: 'velocity', velocity_max_radps: 20, accel_max_radps2: 60, max_step_radps: 1, stall: { tracking_error_radps: 5, still_radps: 0.2, time_ms: 300 } },
    // The shoulder and elbow hard stops are at +-1.6 rad; the soft limits keep 0.1 rad away from them.
    { name: 'shoulder', kind: 'position', position_min_rad: -1.5, position_max_rad: 1.5, velocity_max_radps: 2, accel_max_radps2: 10, max_step_rad: 0.05, max_lead_rad: 0.3, stall: { tracking_error_rad: 0.2, still_radps: 0.05, time_ms: 500 } },
    { name: 'elbow', kind: 'position', position_min_rad: -1.5, position_max_rad: 1.5, velocity_max_radps: 2, accel_max_radps2: 10, max_step_rad: 0.05, max_lead_rad: 0.3, stall: { tracking_error_rad: 0.2, still_radps: 0.05, time_ms: 500 } },
    { name: 'gripper', kind: 'position', position_min_rad: 0, position_max_rad: 1.2, velocity_max_radps: 4, accel_max_radps2: 40, max_step_rad: 0.1 },
  ],
  workspace: { x_min_m: -2, x_max_m: 2, y_min_m: -2, y_max_m: 2, wheel_left: 'wheel_left', wheel_right: 'wheel_right' },
  sources: [{ id: 'teleop', heartbeat_timeout_ms: 250 }],
  state_timeout_ms: 50,
};
