// Scores a reach skill (scripted or learned) on seeded reach tasks on the kinematic robot: done within tolerance, final tip error, simulated time.
import { SkillHarness } from '../world/kinematic/harness.ts';
import { gripperTip } from '../world/world.ts';
import type { SkillRegistry } from '../skills/registry.ts';
import type { Point2 } from '../skills/arm.ts';
import { seededRandom } from '../world/world.ts';
import { reachTask, type ReachTask } from './record-demos.ts';

export interface ReachOutcome {
  seed: number;
  /** The skill's own verdict: done (tip within its tolerance, arm still), failed, timeout, or refused. */
  state: string;
  reason?: string;
  /** Distance from the gripper tip to the target when the run ended, measured in the world. */
  tip_error_m: number;
  time_s: number;
}

export interface ReachScore {
  skill: string;
  scenes: number;
  done: number;
  /** Fraction of scenes that ended done with the world's tip error under tolerance_m. */
  success_rate: number;
  tolerance_m: number;
  mean_time_s: number;
  outcomes: ReachOutcome[];
}

/**
 * The goal as perception reports it: the true point plus seeded Gaussian noise of goal_noise_m per axis (0: exact).
 * What a skill is given when a camera locates the point it is to reach.
 */
export function perceivedGoal(task: ReachTask, goal_noise_m: number): Point2 {
  if (!(goal_noise_m > 0)) return task.target;
  const rand = seededRandom(task.seed ^ 0x6e015e);
  const gauss = () => goal_noise_m * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return { x_m: task.target.x_m + gauss(), y_m: task.target.y_m + gauss() };
}

/**
 * How the goal is perceived.
 * - `glimpse`: the goal is a bare point, looked at once; the skill is given that one noisy look as its args.
 * - `marker`: a block sits on the goal, and perception re-reads it every frame (20 Hz) with fresh noise of the same
 *   sigma, as a camera does; the args are still one look (what a planner saw when it called the skill). A skill that
 *   keeps looking can average the frames; one that plans from its args cannot.
 */
export type GoalPerception = 'glimpse' | 'marker';

/** [m] The marker block's edge: a small cube, inert unless the jaws close on it (a reach never closes them). */
const MARKER_SIZE_M = 0.03;

/** The reach task's scene as the perception model needs it, and the harness's per-frame noise. */
export function perceptionScene(task: ReachTask, goal_noise_m: number, perception: GoalPerception) {
  if (perception === 'glimpse') return { scene: task.scene, noise_m: 0 };
  const marker = { id: 'goal', label: 'reach target', x_m: task.target.x_m, y_m: task.target.y_m, size_m: MARKER_SIZE_M };
  return { scene: { ...task.scene, blocks: [...task.scene.blocks, marker] }, noise_m: goal_noise_m, noise_seed: task.seed };
}

/**
 * Runs `skill` once per seed, each on a fresh robot, given the goal as perceived (goal_noise_m, `perception`);
 * success needs `done` and the measured tip within tolerance_m of the true goal.
 */
export function scoreReach(registry: SkillRegistry, skill: string, seeds: readonly number[], tolerance_m = 0.005, goal_noise_m = 0, perception: GoalPerception = 'glimpse'): ReachScore {
  const outcomes: ReachOutcome[] = [];
  for (const seed of seeds) {
    const task = reachTask(seed);
    const h = new SkillHarness({ ...perceptionScene(task, goal_noise_m, perception), registry });
    let state: string;
    let reason: string | undefined;
    try {
      const s = h.run(skill, perceivedGoal(task, goal_noise_m), 60);
      state = s.state;
      reason = s.reason;
    } catch (e) {
      state = 'refused';
      reason = (e as Error).message;
    }
    const tip = gripperTip(h.robot.world, h.robot.geometry);
    outcomes.push({ seed, state, ...(reason === undefined ? {} : { reason }), tip_error_m: Math.hypot(tip.x_m - task.target.x_m, tip.y_m - task.target.y_m), time_s: h.time_s });
  }
  const ok = outcomes.filter((x) => x.state === 'done' && x.tip_error_m < tolerance_m);
  return {
    skill,
    scenes: seeds.length,
    done: outcomes.filter((x) => x.state === 'done').length,
    success_rate: ok.length / Math.max(1, seeds.length),
    tolerance_m,
    mean_time_s: outcomes.reduce((a, x) => a + x.time_s, 0) / Math.max(1, outcomes.length),
    outcomes,
  };
}

/** Seeds the demonstrations never use: evaluation scenes start here. */
export const EVAL_SEED_BASE = 1_000_000;
export const evalSeeds = (n: number, offset = 0): number[] => Array.from({ length: n }, (_, i) => EVAL_SEED_BASE + offset + i);
