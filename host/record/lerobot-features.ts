// The LeRobot features of an exported episode: one column per feature with its info.json entry, Parquet schema and per-frame values.
import type { RobotGeometry } from '../skills/geometry.ts';
import type { Observation } from '../skills/observation.ts';
import { OBSERVATION_FEATURES, TARGET_FEATURES } from '../skills/policy/features.ts';
import type { EpisodeRecord, Frame, Recording } from './reader.ts';

export interface FeatureColumn {
  name: string;
  /** The features entry in meta/info.json. */
  feature: { dtype: 'float32' | 'int64'; shape: [number]; names: string[] | null };
  /** Parquet schema elements (a list column takes three). */
  schema: object[];
  /** One value per frame: a number[] for vectors, a number for float scalars, a bigint for int64. */
  values: unknown[];
  /** Elements per frame (stats are per element). */
  width: number;
  /** Uncompressed bytes per frame, to split data files at LeRobot's size. */
  bytesPerFrame: number;
}

function vector(name: string, names: readonly string[], values: number[][]): FeatureColumn {
  return {
    name,
    feature: { dtype: 'float32', shape: [names.length], names: [...names] },
    schema: [
      { name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
    ],
    values,
    width: names.length,
    bytesPerFrame: 4 * names.length + 8,
  };
}

function scalar(name: string, dtype: 'float32' | 'int64', values: number[]): FeatureColumn {
  return {
    name,
    feature: { dtype, shape: [1], names: null },
    schema: [{ name, type: dtype === 'float32' ? 'FLOAT' : 'INT64', repetition_type: 'REQUIRED' }],
    values: dtype === 'int64' ? values.map((v) => BigInt(v)) : values,
    width: 1,
    bytesPerFrame: dtype === 'float32' ? 4 : 8,
  };
}

/** A frame as the skills see it (joints by name, base pose, objects): what the policy's feature functions read. */
function observationOf(f: Frame, joints: readonly string[]): Observation {
  return {
    base: f.base,
    joints: Object.fromEntries(joints.map((j, k) => [j, { position_rad: f.position_rad[k]!, velocity_radps: f.velocity_radps[k]! }])),
    objects: f.objects,
    held_id: f.held_id,
  };
}

/**
 * The goal columns of an episode recorded with one (a demonstrator reaching for a world point): observation.goal as
 * recorded (world frame), and observation.environment_state: the goal as a policy sees it at run time, relative to
 * the shoulder and to the gripper tip, computed by the same functions the learned skill runs (policy/features.ts).
 */
function goalColumns(rec: Recording, ep: EpisodeRecord, geometry: RobotGeometry): FeatureColumn[] {
  const missing = ep.frames.findIndex((f) => !f.goal);
  if (missing >= 0) throw new Error(`${rec.file}: episode ${ep.index} frame ${missing} has no goal while other episodes have one; export recordings with goals and without separately`);
  const joints = rec.session.joints;
  const env = ep.frames.map((f) => {
    const input = { obs: observationOf(f, joints), geometry, target: f.goal! };
    return TARGET_FEATURES.map((n) => OBSERVATION_FEATURES[n](input));
  });
  return [vector('observation.goal', ['x_m', 'y_m'], ep.frames.map((f) => [f.goal!.x_m, f.goal!.y_m])), vector('observation.environment_state', TARGET_FEATURES, env)];
}

/**
 * The columns LeRobot's default features name (timestamp, frame_index, episode_index, index, task_index), the
 * state and action vectors with `names` = the recording's joint keys, and `intervention` (1 where a person took
 * over from a skill or policy; the learn/ trainer weights those frames). With `goalGeometry`: the goal columns too.
 */
export function featureTable(rec: Recording, ep: EpisodeRecord, episode_index: number, from_index: number, task_index: number, goalGeometry: RobotGeometry | null = null): FeatureColumn[] {
  const f = ep.frames;
  const joints = rec.session.joints;
  const t0 = f[0]!.t_ns;
  const n = f.length;
  return [
    vector('observation.state', joints, f.map((x) => x.position_rad)),
    vector('observation.velocity', joints, f.map((x) => x.velocity_radps)),
    vector('observation.base_pose', ['x_m', 'y_m', 'heading_rad'], f.map((x) => [x.base.x_m, x.base.y_m, x.base.heading_rad])),
    ...(goalGeometry ? goalColumns(rec, ep, goalGeometry) : []),
    vector('action', joints, f.map((x) => x.action)),
    scalar('intervention', 'int64', f.map((x) => (x.intervention ? 1 : 0))),
    // When each frame was taken, from the episode's first: the loop's real timing, not k / fps.
    scalar('timestamp', 'float32', f.map((x) => Number(x.t_ns - t0) / 1e9)),
    scalar('frame_index', 'int64', f.map((_, k) => k)),
    scalar('episode_index', 'int64', Array(n).fill(episode_index)),
    scalar('index', 'int64', f.map((_, k) => from_index + k)),
    scalar('task_index', 'int64', Array(n).fill(task_index)),
  ];
}
