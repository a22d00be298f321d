// What a language correction is logged with: the phrase, the parsed correction, and its context (task, skill, args, state), for retrieval on similar tasks.
import type { Correction } from '../skills/corrections.ts';
import type { CorrectionLogEntry } from '../skills/correction-log.ts';
import type { Observation } from '../skills/observation.ts';
import type { RobotSnapshot } from './control.ts';

export function correctionEntry(o: {
  phrase: string;
  correction: Correction;
  source: string;
  task: string | null;
  active: RobotSnapshot['active_skill'];
  obs: Observation;
}): CorrectionLogEntry {
  const { active, obs } = o;
  return {
    timestamp: new Date().toISOString(),
    phrase: o.phrase,
    correction: o.correction,
    source: o.source,
    task: o.task,
    skill: active?.skill ?? null,
    ...(active ? { skill_args: active.args } : {}),
    state: {
      base: obs.base,
      joints_rad: Object.fromEntries(Object.entries(obs.joints).map(([k, v]) => [k, v.position_rad])),
      held_id: obs.held_id,
      ...(active ? { skill_elapsed_s: active.elapsed_s } : {}),
    },
  };
}
