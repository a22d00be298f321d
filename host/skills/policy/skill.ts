// Wraps a learned policy as a skill with the built-ins' contract: zod args, affordance, timeout, done/failed predicates; the network decides each step's joint setpoints.
import { z } from 'zod';
import { inverseArm, tipInWorld, worldToBase, type Point2 } from '../arm.ts';
import { defineSkill, type AnySkill, type SkillContext } from '../contract.ts';
import { ELBOW, GRIPPER, SHOULDER } from '../geometry.ts';
import { jointPos, jointVel } from '../observation.ts';
import { startTrack, updateTrack, type TargetTrack } from '../target-track.ts';
import { decodeAction, readObservation, type HeldJoints } from './features.ts';
import { loadPolicy, type Policy } from './policy.ts';

/** Below this summed arm joint speed the arm counts as still (as for the scripted reach). */
const STILL_RADPS = 0.05;

interface PolicyParams {
  /** The target as perceived frame by frame, starting from the point given (see target-track.ts). */
  track: TargetTrack;
  held: HeldJoints;
  obs: Float32Array;
  ik_error: string | null;
}

const shifted = (p: Point2, ctx: SkillContext): Point2 => ({ x_m: p.x_m + ctx.tuning.offset_x_m, y_m: p.y_m + ctx.tuning.offset_y_m });

function tipError_m(ctx: SkillContext, target: Point2): number {
  const tip = tipInWorld(ctx.geometry, ctx.obs.base, jointPos(ctx.obs, SHOULDER), jointPos(ctx.obs, ELBOW));
  return Math.hypot(tip.x_m - target.x_m, tip.y_m - target.y_m);
}

/**
 * A `reach_point` policy as a skill: args (x_m, y_m) in the world frame, like `reach`. The affordance is
 * 0 where IK says the point is out of reach (the demonstrations never went there), else the success rate
 * policy.json records from evaluation. Each step reads the declared observation features, runs the model
 * synchronously, and turns the action features into arm setpoints; the wheels stay stopped.
 *
 * The policy is closed-loop on perception as a learned visuomotor policy is: where an object is perceived at the
 * point given, each step reads the target from where perception sees it now (averaged over frames), not only from
 * the one glimpse the caller had.
 */
export function createPolicySkill(policy: Policy): AnySkill {
  const m = policy.manifest;
  const successRate = m.evaluation?.success_rate ?? 1;
  const unreachable = (ctx: { obs: SkillContext['obs']; geometry: SkillContext['geometry'] }, p: Point2): string | null => {
    const ik = inverseArm(ctx.geometry, worldToBase(ctx.obs.base, p));
    return ik.ok ? null : `(${p.x_m.toFixed(3)}, ${p.y_m.toFixed(3)}) m is out of the arm's reach from here: ${ik.reason}`;
  };
  return defineSkill({
    name: m.name,
    description: m.description,
    args: z.strictObject({ x_m: z.number().min(-10).max(10).describe('[m] world x'), y_m: z.number().min(-10).max(10).describe('[m] world y') }),
    preconditions: [],
    affordance(obs, a, geometry) {
      const why = unreachable({ obs, geometry }, a);
      if (why !== null) return { value: 0, reason: why };
      if (!(successRate > 0)) return { value: 0, reason: `policy "${m.name}" succeeded in none of its ${m.evaluation?.scenes ?? 0} evaluation scenes` };
      return { value: successRate };
    },
    timeout_s: () => m.task.timeout_s,
    start: (a, ctx): PolicyParams => ({
      track: startTrack(a),
      held: { shoulder_rad: jointPos(ctx.obs, SHOULDER), elbow_rad: jointPos(ctx.obs, ELBOW), gripper_rad: jointPos(ctx.obs, GRIPPER) },
      obs: new Float32Array(policy.observation.length),
      ik_error: null,
    }),
    step(_s, p, ctx) {
      const target = shifted(updateTrack(p.track, ctx.obs.objects), ctx);
      // A nudge can move the target out of reach: stop there (failed) instead of asking the net to extrapolate.
      p.ik_error = unreachable(ctx, target);
      const x = readObservation(policy.observation, { obs: ctx.obs, geometry: ctx.geometry, target }, p.obs);
      return decodeAction(policy.action, policy.act(x), ctx.obs, ctx.geometry, p.held);
    },
    done(p, ctx) {
      const still = Math.abs(jointVel(ctx.obs, SHOULDER)) + Math.abs(jointVel(ctx.obs, ELBOW)) < STILL_RADPS;
      return p.ik_error === null && still && tipError_m(ctx, shifted(p.track.estimate, ctx)) < m.task.tip_tolerance_m;
    },
    failed: (p) => (p.ik_error === null ? null : `${m.name} target out of reach: ${p.ik_error}`),
  });
}

/** Loads a model directory and wraps it as a skill; throws (one sentence naming the file) when the directory is bad. */
export async function loadPolicySkill(dir: string): Promise<AnySkill> {
  return createPolicySkill(await loadPolicy(dir));
}
