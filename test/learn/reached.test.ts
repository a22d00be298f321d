// Which demonstrations reached their goal, from the last frame's goal-relative-to-tip features; a dataset without them cannot tell.
import t from 'tap';
import type { Dataset, DatasetEpisode } from '../../host/learn/dataset.ts';
import { finalGoalError_m, reachedEpisodes } from '../../host/learn/reached.ts';
import { TARGET_FEATURES } from '../../host/skills/policy/features.ts';

const tipX = TARGET_FEATURES.indexOf('target_from_tip_x_m');
const tipY = TARGET_FEATURES.indexOf('target_from_tip_y_m');
function episode(k: number, last_from_tip_m: [number, number]): DatasetEpisode {
  const row = (xy: [number, number]) => TARGET_FEATURES.map((_, i) => (i === tipX ? xy[0] : i === tipY ? xy[1] : 0.1));
  return { episode_index: k, obs: [[0], [0]], act: [[0], [0]], intervention: [0, 0], extra: { 'observation.environment_state': [row([0.2, 0.1]), row(last_from_tip_m)] } };
}
const ds = (eps: DatasetEpisode[], names: string[] = [...TARGET_FEATURES]): Dataset => ({ dir: 'ds', fps: 50, robot_type: null, observation_names: ['a'], action_names: ['b'], extra_names: { 'observation.environment_state': names }, episodes: eps });

t.test('episodes that ended on their goal are kept, the others counted out', async (t) => {
  const d = ds([episode(0, [0.001, -0.002]), episode(1, [0.06, 0.08]), episode(2, [0.006, 0.006])]);
  t.equal(finalGoalError_m(d, d.episodes[1]!), 0.1, 'the last frame, not the first');
  const r = reachedEpisodes(d, 0.01);
  t.same({ reached: r.reached, told: r.told, kept: r.kept.map((e) => e.episode_index) }, { reached: 2, told: true, kept: [0, 2] });
  t.same(reachedEpisodes(d, 0.005).kept.map((e) => e.episode_index), [0]);
});

t.test('without the goal relative to the tip nothing can be told: every episode is kept', async (t) => {
  const d = ds([episode(0, [0.3, 0.3])], ['target_from_shoulder_x_m', 'target_from_shoulder_y_m']);
  t.equal(finalGoalError_m(d, d.episodes[0]!), null);
  t.same(reachedEpisodes(d, 0.01), { kept: d.episodes, reached: 0, told: false });
});
