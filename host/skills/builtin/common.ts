// Shared pieces of the built-in skills: nominal speeds, differential-drive mixing, joint setpoint slewing, readings from the observation.
import type { Action } from '../../executor/contract.ts';
import { twistToWheels, wheelsToTwist } from '../../executor/diff-drive.ts';
import { inverseArm, tipInWorld, type Point2 } from '../arm.ts';
import type { Affordance, SkillContext } from '../contract.ts';
import { ELBOW, GRIPPER, SHOULDER, WHEEL_LEFT, WHEEL_RIGHT, type RobotGeometry } from '../geometry.ts';
import { jointPos, jointVel, type Observation } from '../observation.ts';

/** Nominal speeds at speed_scale 1, well inside the envelope so "faster" has room. */
export const BASE_SPEED_MPS = 0.25;
export const TURN_RATE_RADPS = 1.5;
export const ARM_RATE_RADPS = 1.0;
export const GRIPPER_RATE_RADPS = 3.0;

/** Below these the robot counts as settled. */
export const SETTLED_MPS = 0.02;
export const SETTLED_RADPS = 0.05;

/** A skill that makes no progress for this long has failed (something outside it is blocking). */
export const STUCK_S = 3;

export const sat = (v: number, lim: number) => (v > lim ? lim : v < -lim ? -lim : v);

export function wheelAction(g: RobotGeometry, v_mps: number, w_radps: number): Action {
  const w = twistToWheels(g, v_mps, w_radps);
  return { velocity_radps: { [WHEEL_LEFT]: w.left_radps, [WHEEL_RIGHT]: w.right_radps } };
}

/** Forward speed and turn rate measured from the wheels. */
export function baseTwist(g: RobotGeometry, obs: Observation): { v_mps: number; w_radps: number } {
  return wheelsToTwist(g, jointVel(obs, WHEEL_LEFT), jointVel(obs, WHEEL_RIGHT));
}

export function baseSettled(g: RobotGeometry, obs: Observation): boolean {
  const t = baseTwist(g, obs);
  return Math.abs(t.v_mps) < SETTLED_MPS && Math.abs(t.w_radps) < SETTLED_RADPS;
}

/** Moves a setpoint toward a target by at most rate*dt: the skill's own pacing, which "slower" scales. */
export function slew(sp: number, target: number, rate_radps: number, dt_s: number): number {
  return sp + sat(target - sp, rate_radps * dt_s);
}

export interface ArmSetpoint {
  shoulder_rad: number;
  elbow_rad: number;
  gripper_rad: number;
}

export function measuredArm(obs: Observation): ArmSetpoint {
  return { shoulder_rad: jointPos(obs, SHOULDER), elbow_rad: jointPos(obs, ELBOW), gripper_rad: jointPos(obs, GRIPPER) };
}

export function armAction(sp: ArmSetpoint, wheelsStopped = true): Action {
  return {
    position_rad: { [SHOULDER]: sp.shoulder_rad, [ELBOW]: sp.elbow_rad, [GRIPPER]: sp.gripper_rad },
    ...(wheelsStopped ? { velocity_radps: { [WHEEL_LEFT]: 0, [WHEEL_RIGHT]: 0 } } : {}),
  };
}

export function tipNow(ctx: SkillContext): Point2 {
  return tipInWorld(ctx.geometry, ctx.obs.base, jointPos(ctx.obs, SHOULDER), jointPos(ctx.obs, ELBOW));
}

export function shifted(p: Point2, ctx: SkillContext): Point2 {
  return { x_m: p.x_m + ctx.tuning.offset_x_m, y_m: p.y_m + ctx.tuning.offset_y_m };
}

/**
 * Slews the arm setpoint toward the joint angles that put the tip at a world point. Returns the IK
 * failure reason, or null; on failure the setpoint stays put.
 */
export function slewArmTo(sp: ArmSetpoint, target: Point2, ctx: SkillContext): string | null {
  const g = ctx.geometry;
  const b = ctx.obs.base;
  const c = Math.cos(b.heading_rad);
  const s = Math.sin(b.heading_rad);
  const dx = target.x_m - b.x_m;
  const dy = target.y_m - b.y_m;
  const ik = inverseArm(g, { x_m: c * dx + s * dy, y_m: -s * dx + c * dy }, sp);
  if (!ik.ok) return ik.reason;
  const rate = ARM_RATE_RADPS * ctx.tuning.speed_scale;
  sp.shoulder_rad = slew(sp.shoulder_rad, ik.shoulder_rad, rate, ctx.period_s);
  sp.elbow_rad = slew(sp.elbow_rad, ik.elbow_rad, rate, ctx.period_s);
  return null;
}

export function slewGripper(sp: ArmSetpoint, target_rad: number, ctx: SkillContext): void {
  sp.gripper_rad = slew(sp.gripper_rad, target_rad, GRIPPER_RATE_RADPS * ctx.tuning.speed_scale, ctx.period_s);
}

/** The base's stopping point must stay inside the envelope's box with a margin, or the envelope will refuse it. */
export function inWorkspace(g: RobotGeometry, p: Point2, margin_m = 0.05): Affordance {
  const w = g.workspace;
  if (p.x_m < w.x_min_m + margin_m || p.x_m > w.x_max_m - margin_m || p.y_m < w.y_min_m + margin_m || p.y_m > w.y_max_m - margin_m)
    return { value: 0, reason: `(${p.x_m.toFixed(2)}, ${p.y_m.toFixed(2)}) m is outside the base workspace x [${w.x_min_m}, ${w.x_max_m}], y [${w.y_min_m}, ${w.y_max_m}] m less a ${margin_m} m margin` };
  return { value: 1 };
}

/** Tracks the best value of an error and says when it has not improved for STUCK_S. */
export class ProgressWatch {
  private best = Infinity;
  private first = NaN;
  private since_s = 0;
  constructor(private readonly min_gain: number) {}
  update(err: number, elapsed_s: number): void {
    if (Number.isNaN(this.first) && Number.isFinite(err)) this.first = err;
    if (err < this.best - this.min_gain) {
      this.best = err;
      this.since_s = elapsed_s;
    }
  }
  stuck(elapsed_s: number): boolean {
    return elapsed_s - this.since_s > STUCK_S;
  }
  /** Share of the first error already closed, in [0, 1] (for progress reports); 0 before the first update. */
  fraction(): number {
    if (!(this.first > 0) || !Number.isFinite(this.best)) return 0;
    return Math.min(1, Math.max(0, 1 - this.best / this.first));
  }
}
