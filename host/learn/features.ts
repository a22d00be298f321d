// Where each policy feature comes from in a LeRobot dataset: a column element named after it, or derived from what `ganglion export` writes (joint-keyed observation.state / observation.velocity / action, the goal in observation.environment_state).
import { ACTION_FEATURES, isActionFeature, isObservationFeature, OBSERVATION_FEATURES, REACH_ACTION, TAUGHT_REACH_OBSERVATION } from '../skills/policy/features.ts';
import type { Dataset, DatasetEpisode } from './dataset.ts';

/** One feature's value at frame i of an episode. */
export type FeatureReader = (e: DatasetEpisode, i: number) => number;

/** Observation features named `<joint><suffix>` read that joint's element of a joint-keyed column. Data, not branches. */
const JOINT_COLUMNS: readonly { suffix: string; column: string }[] = [
  { suffix: '_position_rad', column: 'observation.state' },
  { suffix: '_velocity_radps', column: 'observation.velocity' },
];

const column = (ds: Dataset, key: string): { names: string[]; rows: (e: DatasetEpisode) => number[][] } | null =>
  key === 'observation.state' ? { names: ds.observation_names, rows: (e) => e.obs } : key === 'action' ? { names: ds.action_names, rows: (e) => e.act } : ds.extra_names[key] ? { names: ds.extra_names[key], rows: (e) => e.extra[key]! } : null;

/** Element `name` of column `key`, or null when the dataset has no such element. */
function element(ds: Dataset, key: string, name: string): FeatureReader | null {
  const c = column(ds, key);
  const k = c?.names.indexOf(name) ?? -1;
  return c && k >= 0 ? (e, i) => c.rows(e)[i]![k]! : null;
}

function observationReader(ds: Dataset, name: string): FeatureReader | null {
  for (const key of ['observation.state', ...Object.keys(ds.extra_names)]) {
    const r = element(ds, key, name);
    if (r) return r;
  }
  for (const { suffix, column: key } of JOINT_COLUMNS) if (name.endsWith(suffix)) return element(ds, key, name.slice(0, -suffix.length));
  return null;
}

function actionReader(ds: Dataset, name: string): FeatureReader | null {
  const direct = element(ds, 'action', name);
  if (direct || !isActionFeature(name)) return direct;
  const { joint, mode } = ACTION_FEATURES[name];
  const target = element(ds, 'action', joint);
  if (!target || mode === 'absolute') return target;
  // A delta is what the envelope let through minus where the joint was: the setpoint's lead, as the skill decodes it.
  const at = element(ds, 'observation.state', joint);
  return at ? (e, i) => target(e, i) - at(e, i) : null;
}

export interface Selected {
  obs: string[];
  act: string[];
  obsRead: FeatureReader[];
  actRead: FeatureReader[];
}

/**
 * The policy's features in this dataset: the ones asked for, else the dataset's own names when they are all policy
 * features, else a taught reach's (TAUGHT_REACH_OBSERVATION / REACH_ACTION, derived from an export's joint columns and goal).
 * An unknown or missing feature is refused naming the dataset and what it has.
 */
export function selectFeatures(ds: Dataset, want: { observation?: readonly string[]; action?: readonly string[] } = {}): Selected {
  const obs = [...(want.observation ?? (ds.observation_names.every(isObservationFeature) ? ds.observation_names : TAUGHT_REACH_OBSERVATION))];
  const act = [...(want.action ?? (ds.action_names.every(isActionFeature) ? ds.action_names : REACH_ACTION))];
  const has = [ds.observation_names, ...Object.entries(ds.extra_names).map(([k, n]) => n.map((x) => `${k}.${x}`))].flat().join(', ');
  const obsRead = obs.map((n) => {
    const r = observationReader(ds, n);
    if (!r) throw new Error(`${ds.dir}: observation.state has no "${n}" and no column it is derived from (it has ${has})`);
    if (!isObservationFeature(n)) throw new Error(`${ds.dir}: observation.state "${n}" is not a feature a policy can read at run time; known: ${Object.keys(OBSERVATION_FEATURES).join(', ')} (choose with --observation)`);
    return r;
  });
  const actRead = act.map((n) => {
    if (!isActionFeature(n)) throw new Error(`${ds.dir}: action "${n}" is not an action a policy can output; known: ${Object.keys(ACTION_FEATURES).join(', ')} (choose with --action)`);
    const r = actionReader(ds, n);
    if (!r) throw new Error(`${ds.dir}: action has no "${n}" and no joint column it is derived from (it has ${ds.action_names.join(', ')})`);
    return r;
  });
  return { obs, act, obsRead, actRead };
}

/**
 * Frames from the first one where the demonstrator acted: the leading frames whose raw action is the very same as the
 * first frame's (the robot held while the person reacted) would teach "stand still though the goal is far".
 */
export function firstActedFrame(e: DatasetEpisode): number {
  const a0 = e.act[0];
  if (!a0) return 0;
  const k = e.act.findIndex((a) => a.some((v, j) => v !== a0[j]));
  return k < 0 ? 0 : k;
}
