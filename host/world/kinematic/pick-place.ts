// The scripted pick-and-place task over the skill layer: every block into the bin, grounded by affordances and failure predicates.
import type { PerceivedObject } from '../../skills/observation.ts';
import { PICK_STEPS, PLACE_STEPS, type SequenceStep, type StepTarget } from '../../skills/pick-place-steps.ts';
import type { SkillStatus } from '../../skills/status.ts';
import type { Scene } from '../world.ts';
import { SkillHarness, type HarnessOptions } from './harness.ts';


export interface TaskResult {
  success: boolean;
  placed: number;
  total: number;
  /** Simulated seconds from the first skill to the last. */
  time_s: number;
  /** Every skill run in order, with how it ended (or why it was refused). */
  log: { skill: string; args: unknown; state: SkillStatus['state'] | 'refused'; reason?: string; elapsed_s: number }[];
}

export interface PickPlaceOptions extends Omit<HarnessOptions, 'scene'> {
  /** How often a failed pick is retried (re-approach and grasp again). 0 = no recovery. */
  retries?: number;
  /** Block order: nearest first (greedy on the base's position) or as listed in the scene. */
  order?: 'nearest' | 'listed';
}

export function pickAndPlace(scene: Scene, o: PickPlaceOptions = {}): TaskResult {
  const h = new SkillHarness({ ...o, scene });
  const log: TaskResult['log'] = [];
  const retries = o.retries ?? 1;
  const run = (skill: string, args: Record<string, unknown>): boolean => {
    const t0 = h.time_s;
    try {
      const s = h.run(skill, args);
      log.push({ skill, args, state: s.state, ...(s.reason ? { reason: s.reason } : {}), elapsed_s: h.time_s - t0 });
      return s.state === 'done';
    } catch (e) {
      log.push({ skill, args, state: 'refused', reason: (e as Error).message, elapsed_s: 0 });
      return false;
    }
  };
  const perceived = (id: string): PerceivedObject | undefined => {
    h.perceive();
    return h.runner.obs.objects.find((x) => x.id === id);
  };

  /** Runs `steps` on `target`, seen afresh before each step (the block is where the robot now perceives it); whether the last step ended done. */
  const runSteps = (steps: readonly SequenceStep[], target: () => StepTarget): boolean => {
    let ok = false;
    for (const s of steps) {
      ok = run(s.skill, s.args(target()));
      if (!ok && s.stop_on_failure) return false;
    }
    return ok;
  };

  const pending = scene.blocks.map((b) => b.id);
  while (pending.length > 0) {
    if (o.order !== 'listed') {
      const b = h.robot.world.base;
      pending.sort((p, q) => {
        const a = perceived(p);
        const c = perceived(q);
        return (a ? Math.hypot(a.x_m - b.x_m, a.y_m - b.y_m) : Infinity) - (c ? Math.hypot(c.x_m - b.x_m, c.y_m - b.y_m) : Infinity);
      });
    }
    const id = pending.shift()!;
    let held = false;
    for (let attempt = 0; attempt <= retries && !held; attempt++) {
      const blk = perceived(id);
      if (!blk) break;
      if (attempt > 0) run('home', {});
      held = runSteps(PICK_STEPS, () => perceived(id) ?? blk) && h.runner.obs.held_id === id;
    }
    if (!held) continue;
    const bin = perceived('bin');
    if (!bin) break;
    runSteps(PLACE_STEPS, () => bin);
  }
  const placed = h.robot.world.blocks.filter((b) => b.state === 'in_bin').length;
  return { success: placed === scene.blocks.length, placed, total: scene.blocks.length, time_s: h.time_s, log };
}
