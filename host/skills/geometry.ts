// A robot's geometry as skills and the simulated world see it: wheel and arm dimensions from its robot file, joint ranges from its envelope.
import { z } from 'zod';
import type { EnvelopeConfigInput } from '../executor/envelope-config.ts';
import type { Robot } from '../hw/robot.ts';

const positive = z.number().positive().finite();
const finite = z.number().finite();

/** A robot's dimensions and joint ranges as skills and the world use them; zod, since it crosses into the loop worker. */
export const RobotGeometrySchema = z.strictObject({
  wheel_radius_m: positive,
  track_width_m: positive,
  arm_l1_m: positive,
  arm_l2_m: positive,
  /** Where the shoulder axis sits in the base frame (x forward, y left). */
  arm_mount_x_m: finite,
  arm_mount_y_m: finite,
  shoulder_min_rad: finite,
  shoulder_max_rad: finite,
  elbow_min_rad: finite,
  elbow_max_rad: finite,
  gripper_open_rad: finite,
  gripper_closed_rad: finite,
  /** Gap between the jaws when fully open; it shrinks linearly to 0 at gripper_closed_rad. */
  jaw_open_width_m: positive,
  /** How far from the tip a block's centre may be for the closing jaws to take it. */
  jaw_capture_m: positive,
  /** The box the envelope keeps the base in (the envelope's workspace). */
  workspace: z.strictObject({ x_min_m: finite, x_max_m: finite, y_min_m: finite, y_max_m: finite }),
});
export type RobotGeometry = z.infer<typeof RobotGeometrySchema>;

/** The joints a skill may command, in the envelope's order. */
export const WHEEL_LEFT = 'wheel_left';
export const WHEEL_RIGHT = 'wheel_right';
export const SHOULDER = 'shoulder';
export const ELBOW = 'elbow';
export const GRIPPER = 'gripper';

function positionLimits(envelope: EnvelopeConfigInput, name: string): [number, number] {
  const j = envelope.joints.find((x) => x.name === name);
  if (!j || j.kind !== 'position') throw new Error(`envelope: no position joint "${name}" (the skills' arm joints are ${SHOULDER}, ${ELBOW}, ${GRIPPER})`);
  return [j.position_min_rad, j.position_max_rad];
}

/**
 * The geometry of `robot`: dimensions from its robot file's `kinematics`, joint ranges from the envelope's soft
 * limits, so IK never plans a pose the envelope would clamp. The arm mount and jaw sizes have defaults while robot
 * files do not give them. The error names the robot file's field.
 */
export function geometryFor(robot: Pick<Robot, 'name' | 'kinematics'>, envelope: EnvelopeConfigInput): RobotGeometry {
  const k = robot.kinematics;
  const need = (key: string): number => {
    const v = k[key];
    if (v === undefined || !(v > 0)) throw new Error(`robot ${robot.name}: kinematics.${key} must be a positive number (add it to the robot file)`);
    return v;
  };
  const [smin, smax] = positionLimits(envelope, SHOULDER);
  const [emin, emax] = positionLimits(envelope, ELBOW);
  const [gmin, gmax] = positionLimits(envelope, GRIPPER);
  const ws = envelope.workspace;
  if (!ws) throw new Error('envelope: no workspace box; the skills plan the base inside it');
  return {
    wheel_radius_m: need('wheel_radius_m'),
    track_width_m: need('track_width_m'),
    arm_l1_m: need('arm_l1_m'),
    arm_l2_m: need('arm_l2_m'),
    arm_mount_x_m: k.arm_mount_x_m ?? 0.05,
    arm_mount_y_m: k.arm_mount_y_m ?? 0,
    shoulder_min_rad: smin,
    shoulder_max_rad: smax,
    elbow_min_rad: emin,
    elbow_max_rad: emax,
    gripper_open_rad: gmin,
    gripper_closed_rad: gmax,
    jaw_open_width_m: k.jaw_open_width_m ?? 0.05,
    jaw_capture_m: k.jaw_capture_m ?? 0.015,
    workspace: { x_min_m: ws.x_min_m, x_max_m: ws.x_max_m, y_min_m: ws.y_min_m, y_max_m: ws.y_max_m },
  };
}

/** Jaw gap at a gripper angle (0 = open wide, closed = touching). */
export function jawWidth_m(g: RobotGeometry, gripper_rad: number): number {
  const span = g.gripper_closed_rad - g.gripper_open_rad;
  const closed = Math.min(1, Math.max(0, (gripper_rad - g.gripper_open_rad) / span));
  return g.jaw_open_width_m * (1 - closed);
}
