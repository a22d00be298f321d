// Which demonstrations reached their goal: the tip's distance to it at an episode's last frame, from the goal features `ganglion export` writes (observation.environment_state).
import type { Dataset, DatasetEpisode } from './dataset.ts';

const GOAL_COLUMN = 'observation.environment_state';

/**
 * [m] How far from its goal the tip ended, or null when the dataset carries no goal relative to the tip (a recording
 * without goals, or a dataset from another tool): then whether a demonstration succeeded cannot be told.
 */
export function finalGoalError_m(ds: Dataset, e: DatasetEpisode): number | null {
  const names = ds.extra_names[GOAL_COLUMN];
  const x = names?.indexOf('target_from_tip_x_m') ?? -1;
  const y = names?.indexOf('target_from_tip_y_m') ?? -1;
  const last = e.extra[GOAL_COLUMN]?.at(-1);
  return x < 0 || y < 0 || !last ? null : Math.hypot(last[x]!, last[y]!);
}

/**
 * The episodes to clone: those that ended within radius_m of their goal (a failed demonstration teaches the failure),
 * all of them when success cannot be told. Says how many reached, so a bad recording is seen before training on it.
 */
export function reachedEpisodes(ds: Dataset, radius_m: number): { kept: DatasetEpisode[]; reached: number; told: boolean } {
  const errs = ds.episodes.map((e) => finalGoalError_m(ds, e));
  if (errs.some((x) => x === null)) return { kept: ds.episodes, reached: 0, told: false };
  const kept = ds.episodes.filter((_, k) => errs[k]! < radius_m);
  return { kept, reached: kept.length, told: true };
}
