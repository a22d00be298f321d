// Scores a reach skill (scripted or learned) on seeded reach tasks on the kinematic robot: done within tolerance, final tip error, simulated time.
import { SkillHarness } from '../world/kinematic/harness.ts';
import { gripperTip } from '../world/world.ts';
import type { SkillRegistry } from '../skills/registry.ts';
import { reachTask } from './record-demos.ts';

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

/** Runs `skill` once per seed, each on a fresh robot; success needs `done` and the measured tip within tolerance_m. */
export function scoreReach(registry: SkillRegistry, skill: string, seeds: readonly number[], tolerance_m = 0.005): ReachScore {
  const outcomes: ReachOutcome[] = [];
  for (const seed of seeds) {
    const task = reachTask(seed);
    const h = new SkillHarness({ scene: task.scene, registry });
    let state: string;
    let reason: string | undefined;
    try {
      const s = h.run(skill, task.target, 60);
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
