// Arm skills: reach (IK to a world point), grasp (open, approach a block, close until held), release (open), home.
import { z } from 'zod';
import { inverseArm, tipInWorld, worldToBase, type Point2 } from '../arm.ts';
import { defineSkill, type Affordance, type SkillContext } from '../contract.ts';
import { ELBOW, GRIPPER, SHOULDER, type RobotGeometry } from '../geometry.ts';
import { jointPos, type Observation, type PerceivedObject } from '../observation.ts';
import { ARM_RATE_RADPS, armAction, GRIPPER_RATE_RADPS, measuredArm, shifted, slewArmTo, slewGripper, tipNow, type ArmSetpoint } from './common.ts';

const JOINT_TOL_RAD = 0.01;
const TIP_TOL_M = 0.005;
/** The gripper counts as open/closed within this of its end stops. */
const GRIPPER_TOL_RAD = 0.05;

function reachAffordance(obs: Observation, g: RobotGeometry, p: Point2): Affordance {
  const ik = inverseArm(g, worldToBase(obs.base, p));
  return ik.ok ? { value: 1 } : { value: 0, reason: `(${p.x_m.toFixed(3)}, ${p.y_m.toFixed(3)}) m is out of the arm's reach from here: ${ik.reason}` };
}

function armAt(ctx: SkillContext, target: Point2): { joints_ok: boolean; tip_err_m: number } {
  const tip = tipNow(ctx);
  const err = Math.hypot(tip.x_m - target.x_m, tip.y_m - target.y_m);
  const v = Math.abs(ctx.obs.joints[SHOULDER]?.velocity_radps ?? NaN) + Math.abs(ctx.obs.joints[ELBOW]?.velocity_radps ?? NaN);
  return { joints_ok: v < 0.05, tip_err_m: err };
}

interface ReachParams {
  target: Point2;
  sp: ArmSetpoint;
  ik_error: string | null;
}

export const reach = defineSkill({
  name: 'reach',
  description:
    'Move the gripper tip to the world point (x_m, y_m) with the arm (the base stays still). The arm reaches 0.16-0.22 m from its shoulder, which sits 0.05 m ahead of the base centre.',
  args: z.strictObject({ x_m: z.number().min(-10).max(10).describe('[m] world x'), y_m: z.number().min(-10).max(10).describe('[m] world y') }),
  preconditions: [],
  affordance: (obs, a, g) => reachAffordance(obs, g, { x_m: a.x_m, y_m: a.y_m }),
  timeout_s: () => (2 * 3) / ARM_RATE_RADPS + 3,
  start: (a, ctx): ReachParams => ({ target: { x_m: a.x_m, y_m: a.y_m }, sp: measuredArm(ctx.obs), ik_error: null }),
  step(_s, p, ctx) {
    p.ik_error = slewArmTo(p.sp, shifted(p.target, ctx), ctx);
    return armAction(p.sp);
  },
  done(p, ctx) {
    const at = armAt(ctx, shifted(p.target, ctx));
    return p.ik_error === null && at.joints_ok && at.tip_err_m < TIP_TOL_M;
  },
  failed: (p) => (p.ik_error === null ? null : `reach target out of reach: ${p.ik_error}`),
});

/** The block to grasp: the named one, or the free block nearest the tip. */
function pickTarget(obs: Observation, g: RobotGeometry, id: string | undefined): PerceivedObject | { error: string } {
  const blocks = obs.objects.filter((o) => o.kind === 'block' && o.id !== obs.held_id);
  if (id !== undefined) {
    const b = blocks.find((o) => o.id === id);
    return b ?? { error: `no block with id "${id}" is perceived` };
  }
  const reachable = blocks.filter((b) => inverseArm(g, worldToBase(obs.base, b)).ok);
  if (reachable.length === 0) return { error: blocks.length === 0 ? 'no block is perceived' : 'no perceived block is within the arm\'s reach from here' };
  const tip = tipInWorld(g, obs.base, jointPos(obs, SHOULDER), jointPos(obs, ELBOW));
  reachable.sort((p, q) => Math.hypot(p.x_m - tip.x_m, p.y_m - tip.y_m) - Math.hypot(q.x_m - tip.x_m, q.y_m - tip.y_m));
  return reachable[0]!;
}

interface GraspParams {
  id: string;
  /** Running mean of the block's perceived position: it does not move until held, and frames are noisy. */
  sum_x_m: number;
  sum_y_m: number;
  samples: number;
  frame: readonly PerceivedObject[] | null;
  sp: ArmSetpoint;
  phase: 'open' | 'approach' | 'close';
  error: string | null;
  closed_since_s: number;
}

export const grasp = defineSkill({
  name: 'grasp',
  description:
    'Grasp a block with the gripper: open, bring the tip onto the block, close until it is held. object_id picks the block; without it, the reachable block nearest the tip. The block must already be within the arm\'s reach (use drive_to with standoff_m 0.24 first).',
  args: z.strictObject({ object_id: z.string().min(1).max(64).optional().describe('id of the block to grasp') }),
  preconditions: [{ text: 'nothing is held', holds: (obs) => obs.held_id === null }],
  affordance(obs, a, g) {
    const t = pickTarget(obs, g, a.object_id);
    if ('error' in t) return { value: 0, reason: t.error };
    const r = reachAffordance(obs, g, t);
    if (r.value === 0) return { value: 0, reason: `block "${t.id}": ${r.reason}` };
    if (t.size_m !== undefined && t.size_m >= g.jaw_open_width_m) return { value: 0, reason: `block "${t.id}" (${t.size_m} m) is wider than the open jaws (${g.jaw_open_width_m} m)` };
    return { value: 1 };
  },
  timeout_s: () => (2 * 3) / ARM_RATE_RADPS + (2 * 1.2) / GRIPPER_RATE_RADPS + 5,
  start(a, ctx): GraspParams {
    const t = pickTarget(ctx.obs, ctx.geometry, a.object_id);
    if ('error' in t) throw new Error(`grasp: ${t.error}`);
    return { id: t.id, sum_x_m: 0, sum_y_m: 0, samples: 0, frame: null, sp: measuredArm(ctx.obs), phase: 'open', error: null, closed_since_s: NaN };
  },
  step(_s, p, ctx) {
    const g = ctx.geometry;
    const block = ctx.obs.objects.find((o) => o.id === p.id);
    if (!block) {
      p.error = `block "${p.id}" is no longer perceived`;
      return armAction(p.sp);
    }
    if (ctx.obs.objects !== p.frame) {
      // A new perception frame (the runner replaces the list on each): one more sample of the block.
      p.frame = ctx.obs.objects;
      p.sum_x_m += block.x_m;
      p.sum_y_m += block.y_m;
      p.samples++;
    }
    const target = shifted({ x_m: p.sum_x_m / p.samples, y_m: p.sum_y_m / p.samples }, ctx);
    if (p.phase === 'open') {
      slewGripper(p.sp, g.gripper_open_rad, ctx);
      // Approach while opening; only close once the jaws are open and the tip is on the block.
      p.error = slewArmTo(p.sp, target, ctx);
      if (jointPos(ctx.obs, GRIPPER) <= g.gripper_open_rad + GRIPPER_TOL_RAD) p.phase = 'approach';
    } else if (p.phase === 'approach') {
      p.error = slewArmTo(p.sp, target, ctx);
      const at = armAt(ctx, target);
      if (p.error === null && at.joints_ok && at.tip_err_m < TIP_TOL_M) p.phase = 'close';
    } else {
      p.error = slewArmTo(p.sp, target, ctx);
      slewGripper(p.sp, g.gripper_closed_rad, ctx);
      if (Number.isNaN(p.closed_since_s) && jointPos(ctx.obs, GRIPPER) >= g.gripper_closed_rad - GRIPPER_TOL_RAD) p.closed_since_s = ctx.elapsed_s;
    }
    return armAction(p.sp);
  },
  done: (p, ctx) => ctx.obs.held_id === p.id,
  failed(p, ctx) {
    if (ctx.obs.held_id !== null && ctx.obs.held_id !== p.id) return `grasped "${ctx.obs.held_id}" instead of "${p.id}"`;
    if (p.error) return `grasp "${p.id}": ${p.error}`;
    // Give perception a moment to report the hold before calling a closed gripper empty.
    if (ctx.elapsed_s - p.closed_since_s > 0.3) return `the jaws closed on nothing: block "${p.id}" was not between them`;
    return null;
  },
});

interface ReleaseParams {
  sp: ArmSetpoint;
  hold: ArmSetpoint;
  open_since_s: number;
  error: string | null;
}

export const release = defineSkill({
  name: 'release',
  description: 'Open the gripper and let go of the held block (over the bin, it drops in). The arm and base hold still.',
  args: z.strictObject({}),
  preconditions: [],
  affordance(obs, _a, g) {
    if (obs.held_id === null && jointPos(obs, GRIPPER) <= g.gripper_open_rad + GRIPPER_TOL_RAD)
      return { value: 0, reason: 'nothing to release: the gripper is open and holds nothing' };
    return { value: 1 };
  },
  timeout_s: () => (2 * 1.2) / GRIPPER_RATE_RADPS + 3,
  start: (_a, ctx): ReleaseParams => ({ sp: measuredArm(ctx.obs), hold: measuredArm(ctx.obs), open_since_s: NaN, error: null }),
  step(_s, p, ctx) {
    const g = ctx.geometry;
    slewGripper(p.sp, g.gripper_open_rad, ctx);
    holdArmShifted(p.sp, p.hold, ctx);
    if (Number.isNaN(p.open_since_s) && jointPos(ctx.obs, GRIPPER) <= g.gripper_open_rad + GRIPPER_TOL_RAD) p.open_since_s = ctx.elapsed_s;
    return armAction(p.sp);
  },
  done: (p, ctx) => !Number.isNaN(p.open_since_s) && ctx.obs.held_id === null,
  failed: (p, ctx) => (ctx.elapsed_s - p.open_since_s > 0.3 ? `the gripper is open but "${ctx.obs.held_id}" is still held` : null),
});

/** Hold the arm at a pose; a nudge correction moves the tip by its offset (when IK allows). */
export function holdArmShifted(sp: ArmSetpoint, hold: ArmSetpoint, ctx: SkillContext): void {
  const t = ctx.tuning;
  if (t.offset_x_m === 0 && t.offset_y_m === 0) {
    sp.shoulder_rad = hold.shoulder_rad;
    sp.elbow_rad = hold.elbow_rad;
    return;
  }
  const at = tipInWorld(ctx.geometry, ctx.obs.base, hold.shoulder_rad, hold.elbow_rad);
  const tip = { x_m: at.x_m + t.offset_x_m, y_m: at.y_m + t.offset_y_m };
  slewArmTo(sp, tip, ctx);
}

interface HomeParams {
  sp: ArmSetpoint;
  gripper_target_rad: number;
}

export const HOME_POSE = { shoulder_rad: 0, elbow_rad: 0 };

export const home = defineSkill({
  name: 'home',
  description: 'Stop the base and move the arm to its home pose (straight ahead). Opens the gripper unless it holds a block, so home never drops anything.',
  args: z.strictObject({}),
  preconditions: [],
  affordance: () => ({ value: 1 }),
  timeout_s: () => (2 * 3) / ARM_RATE_RADPS + 3,
  start: (_a, ctx): HomeParams => ({
    sp: measuredArm(ctx.obs),
    gripper_target_rad: ctx.obs.held_id === null ? ctx.geometry.gripper_open_rad : jointPos(ctx.obs, GRIPPER),
  }),
  step(_s, p, ctx) {
    const rate = ARM_RATE_RADPS * ctx.tuning.speed_scale;
    p.sp.shoulder_rad += Math.max(-rate * ctx.period_s, Math.min(rate * ctx.period_s, HOME_POSE.shoulder_rad - p.sp.shoulder_rad));
    p.sp.elbow_rad += Math.max(-rate * ctx.period_s, Math.min(rate * ctx.period_s, HOME_POSE.elbow_rad - p.sp.elbow_rad));
    slewGripper(p.sp, p.gripper_target_rad, ctx);
    return armAction(p.sp);
  },
  done(p, ctx) {
    const s = jointPos(ctx.obs, SHOULDER);
    const e = jointPos(ctx.obs, ELBOW);
    const gr = jointPos(ctx.obs, GRIPPER);
    return Math.abs(s - HOME_POSE.shoulder_rad) < JOINT_TOL_RAD && Math.abs(e - HOME_POSE.elbow_rad) < JOINT_TOL_RAD && Math.abs(gr - p.gripper_target_rad) < GRIPPER_TOL_RAD;
  },
  failed: () => null,
});
