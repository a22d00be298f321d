// Reads a LeRobotDataset v3.0 directory for training: meta/info.json checked with zod, every data/ parquet file read with DuckDB, rows grouped into episodes.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { z } from 'zod';
import { zodIssue } from '../util/zod-issue.ts';
import { readJsonFile } from '../util/read-json.ts';

/** The column a person's control is marked in (1 where teleop corrected or took over, else 0): RLIF / YAY Robot weighting reads it. */
export const INTERVENTION_FEATURE = 'intervention';

const Feature = z.looseObject({
  dtype: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  names: z.union([z.array(z.string()), z.record(z.string(), z.unknown()), z.null()]).optional(),
});

const VectorFeature = z.looseObject({
  dtype: z.literal('float32', { error: 'must be "float32" (LeRobot stores state and action as float32 arrays)' }),
  shape: z.tuple([z.number().int().positive()]),
  names: z.array(z.string().min(1), { error: 'must list one name per element (the feature names a policy reads)' }),
});

const InfoSchema = z.looseObject({
  codebase_version: z.literal('v3.0', { error: 'must be "v3.0": this reader follows LeRobotDataset v3.0 (export again with `ganglion export --format lerobot`)' }),
  fps: z.number().positive(),
  robot_type: z.string().nullable().optional(),
  total_episodes: z.number().int().nonnegative(),
  total_frames: z.number().int().nonnegative(),
  data_path: z.string().min(1),
  features: z.record(z.string(), Feature),
});

export interface DatasetEpisode {
  episode_index: number;
  /** One row per frame, in the dataset's observation.state order. */
  obs: number[][];
  act: number[][];
  /** Per frame: 1 where a person had control (teleop takeover or correction), else 0; all 0 when the dataset has no intervention column. */
  intervention: number[];
  /** The other observation vectors (observation.velocity, observation.environment_state, ...), one row per frame. */
  extra: Record<string, number[][]>;
}

export interface Dataset {
  dir: string;
  fps: number;
  robot_type: string | null;
  observation_names: string[];
  action_names: string[];
  /** Names of the other observation vectors, by feature key (what `extra` holds). */
  extra_names: Record<string, string[]>;
  episodes: DatasetEpisode[];
}

function readInfo(dir: string): z.output<typeof InfoSchema> {
  const file = path.join(dir, 'meta', 'info.json');
  if (!existsSync(dir)) throw new Error(`dataset directory ${dir} does not exist`);
  if (!existsSync(file)) throw new Error(`${file} is missing: a LeRobotDataset v3.0 directory has meta/info.json (write one with \`ganglion export FILE --format lerobot --out DIR\`)`);
  return readJsonFile(file, InfoSchema, { fix: 'write the dataset again with `ganglion export FILE --format lerobot --out DIR`' });
}

function vectorNames(info: z.output<typeof InfoSchema>, key: string, file: string): string[] {
  const f = info.features[key];
  if (!f) throw new Error(`${file}: features has no "${key}"; training needs observation.state and action (features: ${Object.keys(info.features).join(', ')})`);
  const r = VectorFeature.safeParse(f);
  if (!r.success) throw new Error(`${file}: features.${key}.${zodIssue(r.error)}`);
  if (r.data.names.length !== r.data.shape[0]) throw new Error(`${file}: features.${key} has shape [${r.data.shape[0]}] but ${r.data.names.length} names`);
  return r.data.names;
}

/** Every parquet file under data/ (the v3.0 layout is data/chunk-NNN/file-NNN.parquet), sorted so reads are deterministic. */
function dataFiles(dir: string): string[] {
  const root = path.join(dir, 'data');
  if (!existsSync(root)) throw new Error(`${root} is missing: a LeRobotDataset v3.0 directory keeps its frames in data/chunk-000/file-000.parquet`);
  const out: string[] = [];
  for (const chunk of readdirSync(root).sort()) {
    const cdir = path.join(root, chunk);
    if (!existsSync(cdir) || !readdirSync(cdir, { withFileTypes: true }).length) continue;
    for (const f of readdirSync(cdir).sort()) if (f.endsWith('.parquet')) out.push(path.join(cdir, f));
  }
  if (out.length === 0) throw new Error(`${root} holds no .parquet file: the dataset has no frames`);
  return out;
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** Reads the whole dataset (frames ordered by index); throws one sentence naming the file and field when it is not a usable v3.0 dataset. */
export async function readDataset(dir: string): Promise<Dataset> {
  const info = readInfo(dir);
  const infoFile = path.join(dir, 'meta', 'info.json');
  const observation_names = vectorNames(info, 'observation.state', infoFile);
  const action_names = vectorNames(info, 'action', infoFile);
  const hasIntervention = INTERVENTION_FEATURE in info.features;
  // Every other observation vector a policy feature may come from (velocities, the goal relative to the tip, ...).
  const extraKeys = Object.keys(info.features).filter((k) => k.startsWith('observation.') && k !== 'observation.state' && VectorFeature.safeParse(info.features[k]).success);
  const extra_names = Object.fromEntries(extraKeys.map((k) => [k, vectorNames(info, k, infoFile)]));
  const files = dataFiles(dir);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  let rows: unknown[][];
  try {
    const cols = ['episode_index', '"observation.state"', 'action', hasIntervention ? `CAST(${INTERVENTION_FEATURE} AS DOUBLE)` : '0', ...extraKeys.map((k) => `"${k}"`)];
    const sql = `SELECT ${cols.join(', ')} FROM read_parquet([${files.map(sqlString).join(', ')}]) ORDER BY "index"`;
    rows = (await c.runAndReadAll(sql)).getRows() as unknown[][];
  } catch (e) {
    throw new Error(`${files.join(', ')}: cannot be read as the frames of ${infoFile} declares (${(e as Error).message.split('\n')[0]})`);
  } finally {
    c.closeSync();
    db.closeSync();
  }
  const byEp = new Map<number, DatasetEpisode>();
  rows.forEach((r, i) => {
    const ep = Number(r[0]);
    const obs = (r[1] as { items: number[] } | null)?.items;
    const act = (r[2] as { items: number[] } | null)?.items;
    const where = `${dir}: frame ${i} (episode ${ep})`;
    if (!obs || obs.length !== observation_names.length) throw new Error(`${where}: observation.state has ${obs?.length ?? 0} values; meta/info.json names ${observation_names.length}`);
    if (!act || act.length !== action_names.length) throw new Error(`${where}: action has ${act?.length ?? 0} values; meta/info.json names ${action_names.length}`);
    const bad = [...obs, ...act].findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${where}: ${bad < obs.length ? `observation.state.${observation_names[bad]}` : `action.${action_names[bad - obs.length]}`} is not finite`);
    let e = byEp.get(ep);
    if (!e) byEp.set(ep, (e = { episode_index: ep, obs: [], act: [], intervention: [], extra: Object.fromEntries(extraKeys.map((k) => [k, []])) }));
    extraKeys.forEach((k, j) => {
      const v = (r[4 + j] as { items: number[] } | null)?.items;
      if (!v || v.length !== extra_names[k]!.length || !v.every(Number.isFinite)) throw new Error(`${where}: ${k} has ${v?.length ?? 0} values (meta/info.json names ${extra_names[k]!.length}) or one that is not finite`);
      e.extra[k]!.push(v);
    });
    e.obs.push(obs);
    e.act.push(act);
    e.intervention.push(Number(r[3]) > 0 ? 1 : 0);
  });
  if (byEp.size === 0) throw new Error(`${dir}: the dataset has no frames (meta/info.json says ${info.total_frames})`);
  return {
    dir,
    fps: info.fps,
    robot_type: info.robot_type ?? null,
    observation_names,
    action_names,
    extra_names,
    episodes: [...byEp.values()].sort((a, b) => a.episode_index - b.episode_index),
  };
}
