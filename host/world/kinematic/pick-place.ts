// The scripted pick-and-place task over the skill layer: every block into the bin, grounded by affordances and failure predicates.
import type { PerceivedObject } from '../../skills/observation.ts';
import type { SkillStatus } from '../../skills/status.ts';
import type { Scene } from '../world.ts';
import { SkillHarness, type HarnessOptions } from './harness.ts';

/** Puts the block 0.19 m ahead of the shoulder: mid-way in the arm's 0.16-0.22 m reach. */
export const APPROACH_STANDOFF_M = 0.24;

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
      if (!run('drive_to', { x_m: blk.x_m, y_m: blk.y_m, standoff_m: APPROACH_STANDOFF_M })) continue;
      const seen = perceived(id) ?? blk;
      run('reach', { x_m: seen.x_m, y_m: seen.y_m });
      held = run('grasp', { object_id: id }) && h.runner.obs.held_id === id;
    }
    if (!held) continue;
    const bin = perceived('bin');
    if (!bin) break;
    if (!run('drive_to', { x_m: bin.x_m, y_m: bin.y_m, standoff_m: APPROACH_STANDOFF_M })) continue;
    run('reach', { x_m: bin.x_m, y_m: bin.y_m });
    run('release', {});
  }
  const placed = h.robot.world.blocks.filter((b) => b.state === 'in_bin').length;
  return { success: placed === scene.blocks.length, placed, total: scene.blocks.length, time_s: h.time_s, log };
}
