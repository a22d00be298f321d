// The feature catalogue a policy.json may declare: how an observation vector is read from the robot and how an action vector becomes joint setpoints.
import type { Action } from '../../executor/contract.ts';
import { forwardArm, inverseArm, worldToBase, type Point2 } from '../arm.ts';
import { ELBOW, GRIPPER, SHOULDER, WHEEL_LEFT, WHEEL_RIGHT, type RobotGeometry } from '../geometry.ts';
import { jointPos, jointVel, type Observation } from '../observation.ts';

/** What an observation feature may read: the robot now and the skill's target (world frame). */
export interface FeatureInput {
  obs: Observation;
  geometry: RobotGeometry;
  target: Point2;
}

/** The target in the base frame, measured from the shoulder axis: what the arm's IK would see. */
function targetFromShoulder(i: FeatureInput): Point2 {
  const p = worldToBase(i.obs.base, i.target);
  return { x_m: p.x_m - i.geometry.arm_mount_x_m, y_m: p.y_m - i.geometry.arm_mount_y_m };
}

/** The target minus the gripper tip, in the base frame: zero exactly when a reach is complete. */
function targetFromTip(i: FeatureInput): Point2 {
  const p = worldToBase(i.obs.base, i.target);
  const tip = forwardArm(i.geometry, jointPos(i.obs, SHOULDER), jointPos(i.obs, ELBOW));
  return { x_m: p.x_m - tip.x_m, y_m: p.y_m - tip.y_m };
}

/**
 * How far each arm joint is from the pose that puts the tip on the target (IK, the solution nearer the arm's pose
 * now): the goal in joint space, as a person at a replica leader sees it. Zero on both joints exactly when the
 * reach is complete, and it maps almost linearly onto the action, so a few demonstrations teach it. 0 when the target
 * is out of reach (the skill fails there anyway).
 */
function targetJointError(i: FeatureInput): { shoulder_rad: number; elbow_rad: number } {
  const q = { shoulder_rad: jointPos(i.obs, SHOULDER), elbow_rad: jointPos(i.obs, ELBOW) };
  const ik = inverseArm(i.geometry, worldToBase(i.obs.base, i.target), q);
  return ik.ok ? { shoulder_rad: ik.shoulder_rad - q.shoulder_rad, elbow_rad: ik.elbow_rad - q.elbow_rad } : { shoulder_rad: 0, elbow_rad: 0 };
}

export const OBSERVATION_FEATURES = {
  shoulder_position_rad: (i: FeatureInput) => jointPos(i.obs, SHOULDER),
  elbow_position_rad: (i: FeatureInput) => jointPos(i.obs, ELBOW),
  gripper_position_rad: (i: FeatureInput) => jointPos(i.obs, GRIPPER),
  shoulder_velocity_radps: (i: FeatureInput) => jointVel(i.obs, SHOULDER),
  elbow_velocity_radps: (i: FeatureInput) => jointVel(i.obs, ELBOW),
  target_from_shoulder_x_m: (i: FeatureInput) => targetFromShoulder(i).x_m,
  target_from_shoulder_y_m: (i: FeatureInput) => targetFromShoulder(i).y_m,
  target_from_tip_x_m: (i: FeatureInput) => targetFromTip(i).x_m,
  target_from_tip_y_m: (i: FeatureInput) => targetFromTip(i).y_m,
  shoulder_to_target_rad: (i: FeatureInput) => targetJointError(i).shoulder_rad,
  elbow_to_target_rad: (i: FeatureInput) => targetJointError(i).elbow_rad,
} as const satisfies Record<string, (i: FeatureInput) => number>;

export type ObservationFeature = keyof typeof OBSERVATION_FEATURES;

/**
 * Action features drive one arm joint each. A delta is the setpoint minus the measured position: it
 * stays small and centred whatever the pose, which is what a normalised MLP output learns best.
 */
export const ACTION_FEATURES = {
  shoulder_delta_rad: { joint: SHOULDER, mode: 'delta' },
  elbow_delta_rad: { joint: ELBOW, mode: 'delta' },
  gripper_delta_rad: { joint: GRIPPER, mode: 'delta' },
  shoulder_target_rad: { joint: SHOULDER, mode: 'absolute' },
  elbow_target_rad: { joint: ELBOW, mode: 'absolute' },
  gripper_target_rad: { joint: GRIPPER, mode: 'absolute' },
} as const satisfies Record<string, { joint: string; mode: 'delta' | 'absolute' }>;

export type ActionFeature = keyof typeof ACTION_FEATURES;

/** A reach policy's inputs and outputs (see docs/policy.md for why these): the default of `ganglion train`. */
export const REACH_OBSERVATION: readonly ObservationFeature[] = [
  'shoulder_position_rad',
  'elbow_position_rad',
  'shoulder_velocity_radps',
  'elbow_velocity_radps',
  'target_from_shoulder_x_m',
  'target_from_shoulder_y_m',
  'target_from_tip_x_m',
  'target_from_tip_y_m',
];
export const REACH_ACTION: readonly ActionFeature[] = ['shoulder_delta_rad', 'elbow_delta_rad'];

/**
 * What `ganglion train` reads from a recording by default: the goal in joint space relative to the arm, nothing else.
 * The recorded action is the envelope's setpoint, whose lead over the measured position is, on a lagging joint, its
 * velocity times the lag: with velocities in the input a net learns "keep moving as you move" (val loss 0.008) and
 * never heads for the goal (0 of 20 scenes from 20 expert episodes). With the absolute pose beside the goal it learns
 * the 20 demonstrated paths rather than the rule (43 % of 40 scenes, tip a median 6.3 mm off); from how far each joint
 * is from its goal alone, the rule is nearly linear and 20 demonstrations teach it (100 %, median 0.2 mm).
 */
export const TAUGHT_REACH_OBSERVATION: readonly ObservationFeature[] = ['shoulder_to_target_rad', 'elbow_to_target_rad'];

/** The target features: what an exported recording with goals carries as observation.environment_state. */
export const TARGET_FEATURES = ['target_from_shoulder_x_m', 'target_from_shoulder_y_m', 'target_from_tip_x_m', 'target_from_tip_y_m', 'shoulder_to_target_rad', 'elbow_to_target_rad'] as const satisfies readonly ObservationFeature[];

export const isObservationFeature = (s: string): s is ObservationFeature => Object.hasOwn(OBSERVATION_FEATURES, s);
export const isActionFeature = (s: string): s is ActionFeature => Object.hasOwn(ACTION_FEATURES, s);

/** Fills out[] with the declared observation features, in order (no allocation: this runs every tick). */
export function readObservation(features: readonly ObservationFeature[], input: FeatureInput, out: Float32Array): Float32Array {
  for (let k = 0; k < features.length; k++) out[k] = OBSERVATION_FEATURES[features[k]!](input);
  return out;
}

/** The values of the declared action features in an action a scripted skill produced (for recording demonstrations). */
export function encodeAction(features: readonly ActionFeature[], action: Action, obs: Observation): number[] {
  return features.map((f) => {
    const { joint, mode } = ACTION_FEATURES[f];
    const sp = action.position_rad?.[joint];
    if (sp === undefined) throw new Error(`action feature ${f}: the demonstrated action has no position setpoint for joint "${joint}"`);
    return mode === 'delta' ? sp - jointPos(obs, joint) : sp;
  });
}

/** Arm setpoints the policy does not drive stay where they were when the skill started. */
export interface HeldJoints {
  shoulder_rad: number;
  elbow_rad: number;
  gripper_rad: number;
}

/**
 * How far a setpoint may lead the measured position. The scripted skills slew their setpoints, so
 * demonstrations lead by under 0.05 rad; the cap bounds what an out-of-distribution output can ask
 * for in one tick, on top of the envelope's own limits.
 */
export const MAX_LEAD_RAD = 0.2;

/**
 * Turns a policy's action vector into an Action: its joints from the vector (each setpoint within
 * MAX_LEAD_RAD of the measured position and inside the joint's range), the other arm joints held, wheels stopped.
 */
export function decodeAction(features: readonly ActionFeature[], values: ArrayLike<number>, obs: Observation, g: RobotGeometry, held: HeldJoints): Action {
  const sp: Record<string, number> = { [SHOULDER]: held.shoulder_rad, [ELBOW]: held.elbow_rad, [GRIPPER]: held.gripper_rad };
  for (let k = 0; k < features.length; k++) {
    const { joint, mode } = ACTION_FEATURES[features[k]!];
    const v = values[k]!;
    const now = jointPos(obs, joint);
    const lead = mode === 'delta' ? v : v - now;
    sp[joint] = now + Math.min(MAX_LEAD_RAD, Math.max(-MAX_LEAD_RAD, lead));
  }
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  return {
    position_rad: {
      [SHOULDER]: clamp(sp[SHOULDER]!, g.shoulder_min_rad, g.shoulder_max_rad),
      [ELBOW]: clamp(sp[ELBOW]!, g.elbow_min_rad, g.elbow_max_rad),
      [GRIPPER]: clamp(sp[GRIPPER]!, Math.min(g.gripper_open_rad, g.gripper_closed_rad), Math.max(g.gripper_open_rad, g.gripper_closed_rad)),
    },
    velocity_radps: { [WHEEL_LEFT]: 0, [WHEEL_RIGHT]: 0 },
  };
}
