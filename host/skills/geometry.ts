// The reference robot's geometry as skills and the simulated world see it: wheel and arm dimensions from the schematic, limits from the envelope.
import { REFERENCE_ENVELOPE } from '../executor/envelope-config.ts';
import { loadRobot } from '../hw/robot.ts';

export interface RobotGeometry {
  wheel_radius_m: number;
  track_width_m: number;
  arm_l1_m: number;
  arm_l2_m: number;
  /** Where the shoulder axis sits in the base frame (x forward, y left). */
  arm_mount_x_m: number;
  arm_mount_y_m: number;
  shoulder_min_rad: number;
  shoulder_max_rad: number;
  elbow_min_rad: number;
  elbow_max_rad: number;
  gripper_open_rad: number;
  gripper_closed_rad: number;
  /** Gap between the jaws when fully open; it shrinks linearly to 0 at gripper_closed_rad. */
  jaw_open_width_m: number;
  /** How far from the tip a block's centre may be for the closing jaws to take it. */
  jaw_capture_m: number;
  /** The box the envelope keeps the base in (REFERENCE_ENVELOPE.workspace). */
  workspace: { x_min_m: number; x_max_m: number; y_min_m: number; y_max_m: number };
}

/** The joints a skill may command, in the envelope's order. */
export const WHEEL_LEFT = 'wheel_left';
export const WHEEL_RIGHT = 'wheel_right';
export const SHOULDER = 'shoulder';
export const ELBOW = 'elbow';
export const GRIPPER = 'gripper';

function positionLimits(name: string): [number, number] {
  const j = REFERENCE_ENVELOPE.joints.find((x) => x.name === name);
  if (!j || j.kind !== 'position') throw new Error(`REFERENCE_ENVELOPE has no position joint "${name}"`);
  return [j.position_min_rad, j.position_max_rad];
}

function need(k: Record<string, number>, key: string): number {
  const v = k[key];
  if (v === undefined || !(v > 0)) throw new Error(`reference robot kinematics.${key} must be a positive number`);
  return v;
}

/**
 * Dimensions come from schematics/reference-robot.json; joint ranges from the envelope's soft limits, so
 * IK never plans a pose the envelope would clamp. The arm mount and jaw sizes are not in the schematic yet.
 */
export function loadReferenceGeometry(): RobotGeometry {
  const k = loadRobot().kinematics;
  const [smin, smax] = positionLimits(SHOULDER);
  const [emin, emax] = positionLimits(ELBOW);
  const [gmin, gmax] = positionLimits(GRIPPER);
  const ws = REFERENCE_ENVELOPE.workspace;
  if (!ws) throw new Error('REFERENCE_ENVELOPE has no workspace box');
  return {
    wheel_radius_m: need(k, 'wheel_radius_m'),
    track_width_m: need(k, 'track_width_m'),
    arm_l1_m: need(k, 'arm_l1_m'),
    arm_l2_m: need(k, 'arm_l2_m'),
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

export const REFERENCE_GEOMETRY: Readonly<RobotGeometry> = Object.freeze(loadReferenceGeometry());

/** Jaw gap at a gripper angle (0 = open wide, closed = touching). */
export function jawWidth_m(g: RobotGeometry, gripper_rad: number): number {
  const span = g.gripper_closed_rad - g.gripper_open_rad;
  const closed = Math.min(1, Math.max(0, (gripper_rad - g.gripper_open_rad) / span));
  return g.jaw_open_width_m * (1 - closed);
}
