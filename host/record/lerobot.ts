// Export of recordings to a LeRobotDataset v3.0 directory (layout, info.json, stats and episode metadata as huggingface/lerobot's src/lerobot/datasets/ writes them).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { writeDirAtomic } from '../util/atomic-write.ts';
import path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import type { Recording } from './reader.ts';
import { featureTable, type FeatureColumn } from './lerobot-features.ts';
import { featureStats, type Stats } from './lerobot-stats.ts';

/** LeRobot's defaults (datasets/utils.py): files per chunk, and the size a data file may grow to before the next. */
export const CHUNKS_SIZE = 1000;
export const DATA_FILES_SIZE_IN_MB = 100;
export const VIDEO_FILES_SIZE_IN_MB = 500;
const CHUNK_FILE = (chunk: number, file: number) => `chunk-${String(chunk).padStart(3, '0')}/file-${String(file).padStart(3, '0')}`;

export interface ExportOptions {
  out: string;
}

export interface ExportSummary {
  out: string;
  episodes: number;
  frames: number;
  tasks: string[];
  /** Incomplete (crash-cut) episodes left out, as "file#index". */
  skipped: string[];
}

/** Rows of one episode in the dataset. */
interface Ep {
  index: number;
  task_index: number;
  task: string;
  from: number;
  cols: FeatureColumn[];
  length: number;
}

export function exportLerobot(recordings: readonly Recording[], o: ExportOptions): ExportSummary {
  if (!recordings.length) throw new Error('export: no recording given');
  const first = recordings[0]!;
  for (const r of recordings) {
    if (r.session.fps !== first.session.fps) throw new Error(`${r.file}: fps ${r.session.fps} differs from ${first.file}'s ${first.session.fps}; a dataset has one fps (export them separately)`);
    if (r.session.joints.join() !== first.session.joints.join()) throw new Error(`${r.file}: joints [${r.session.joints.join(', ')}] differ from ${first.file}'s [${first.session.joints.join(', ')}]; a dataset has one feature layout`);
  }
  if (existsSync(o.out) && readdirSync(o.out).length) throw new Error(`${o.out} exists and is not empty: choose a new --out directory (an export never overwrites a dataset)`);
  // Goal columns when the recordings have goals (teleop demonstrations of a reach): all of them or none, and the
  // geometry the recording stored to compute them with.
  const withGoal = recordings.map((r) => r.episodes.some((e) => e.status === 'kept' && e.frames[0]?.goal));
  if (withGoal.some((g) => g) && !withGoal.every((g) => g)) {
    throw new Error(`${recordings.find((_, i) => !withGoal[i])!.file} has no goals but ${recordings.find((_, i) => withGoal[i])!.file} has: a dataset has one feature layout (export them separately)`);
  }
  const geometry = withGoal[0] ? first.session.geometry : null;
  if (withGoal[0] && !geometry) throw new Error(`${first.file}: recorded with goals but without the robot's geometry (session metadata "geometry"); record it again with \`ganglion record --teleop\``);
  const skipped: string[] = [];
  const tasks: string[] = [];
  const eps: Ep[] = [];
  let index = 0;
  for (const r of recordings) {
    for (const e of r.episodes) {
      if (e.status !== 'kept' || !e.frames.length) {
        skipped.push(`${r.file}#${e.index}`);
        continue;
      }
      let task_index = tasks.indexOf(e.task);
      if (task_index < 0) task_index = tasks.push(e.task) - 1;
      const cols = featureTable(r, e, eps.length, index, task_index, geometry);
      eps.push({ index: eps.length, task_index, task: e.task, from: index, cols, length: e.frames.length });
      index += e.frames.length;
    }
  }
  if (!eps.length) {
    const files = recordings.map((r) => r.file).join(', ');
    throw new Error(`${files}: no complete episode with frames to export${skipped.length ? ` (incomplete: ${skipped.join(', ')})` : ''}; record some with \`ganglion record\``);
  }
  // Written beside the target, fsynced and renamed at the end: an error midway leaves no half dataset behind.
  writeDirAtomic(o.out, (tmp) => writeDataset(tmp, first, eps, tasks));
  return { out: o.out, episodes: eps.length, frames: index, tasks, skipped };
}

function writeDataset(dir: string, first: Recording, eps: Ep[], tasks: string[]): void {
  const features = Object.fromEntries(eps[0]!.cols.map((c) => [c.name, c.feature]));
  // Episodes go to data files in order; a file is closed when it would pass DATA_FILES_SIZE_IN_MB.
  const files: Ep[][] = [[]];
  let bytes = 0;
  for (const e of eps) {
    const b = e.cols.reduce((n, c) => n + c.bytesPerFrame, 0) * e.length;
    if (bytes + b > DATA_FILES_SIZE_IN_MB * 1024 * 1024 && files.at(-1)!.length) {
      files.push([]);
      bytes = 0;
    }
    files.at(-1)!.push(e);
    bytes += b;
  }
  const where = new Map<number, { chunk: number; file: number }>();
  files.forEach((group, k) => {
    const loc = { chunk: Math.floor(k / CHUNKS_SIZE), file: k % CHUNKS_SIZE };
    for (const e of group) where.set(e.index, loc);
    const names = group[0]!.cols.map((c) => c.name);
    const columnData = names.map((name, i) => ({ name, data: group.flatMap((e) => e.cols[i]!.values) as never }));
    writeParquet(path.join(dir, 'data', `${CHUNK_FILE(loc.chunk, loc.file)}.parquet`), columnData, group[0]!.cols.map((c) => c.schema));
  });

  const epStats = eps.map((e) => Object.fromEntries(e.cols.map((c) => [c.name, featureStats(c.values, c.width)])));
  writeEpisodes(dir, eps, epStats, where);
  writeParquet(path.join(dir, 'meta', 'tasks.parquet'), [
    { name: 'task_index', data: tasks.map((_, i) => BigInt(i)) as never },
    { name: 'task', data: tasks as never },
  ], [[{ name: 'task_index', type: 'INT64', repetition_type: 'REQUIRED' }], [{ name: 'task', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' }]],
  // pandas reads "task" back as the frame's index, as LeRobot writes it (DataFrame({"task_index": ...}, index=Index(tasks, name="task"))).
  [{ key: 'pandas', value: JSON.stringify({
    index_columns: ['task'], column_indexes: [{ name: null, field_name: null, pandas_type: 'unicode', numpy_type: 'object', metadata: { encoding: 'UTF-8' } }],
    columns: [
      { name: 'task_index', field_name: 'task_index', pandas_type: 'int64', numpy_type: 'int64', metadata: null },
      { name: 'task', field_name: 'task', pandas_type: 'unicode', numpy_type: 'object', metadata: null },
    ],
    creator: { library: 'ganglion', version: '0.1.0' }, pandas_version: '2.2.0',
  }) }]);

  const all = Object.fromEntries(eps[0]!.cols.map((c, i) => [c.name, featureStats(eps.flatMap((e) => e.cols[i]!.values), c.width)]));
  writeFileSync(path.join(dir, 'meta', 'stats.json'), JSON.stringify(all, null, 4));
  const total = eps.reduce((n, e) => n + e.length, 0);
  writeFileSync(path.join(dir, 'meta', 'info.json'), JSON.stringify({
    codebase_version: 'v3.0',
    robot_type: first.session.robot,
    total_episodes: eps.length,
    total_frames: total,
    total_tasks: tasks.length,
    chunks_size: CHUNKS_SIZE,
    data_files_size_in_mb: DATA_FILES_SIZE_IN_MB,
    video_files_size_in_mb: VIDEO_FILES_SIZE_IN_MB,
    fps: first.session.fps,
    splits: { train: `0:${eps.length}` },
    data_path: 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet',
    video_path: null,
    features,
  }, null, 4));
}

function writeEpisodes(dir: string, eps: Ep[], epStats: Record<string, Stats>[], where: Map<number, { chunk: number; file: number }>): void {
  const int = (name: string, data: bigint[]) => ({ col: { name, data }, schema: [{ name, type: 'INT64', repetition_type: 'REQUIRED' }] });
  const list = (name: string, data: unknown[], type: 'DOUBLE' | 'INT64' | 'STRING') => ({
    col: { name, data },
    schema: [
      { name, repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      type === 'STRING' ? { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' } : { name: 'element', type, repetition_type: 'REQUIRED' },
    ],
  });
  const cols = [
    int('episode_index', eps.map((e) => BigInt(e.index))),
    list('tasks', eps.map((e) => [e.task]), 'STRING'),
    int('length', eps.map((e) => BigInt(e.length))),
    int('data/chunk_index', eps.map((e) => BigInt(where.get(e.index)!.chunk))),
    int('data/file_index', eps.map((e) => BigInt(where.get(e.index)!.file))),
    int('dataset_from_index', eps.map((e) => BigInt(e.from))),
    int('dataset_to_index', eps.map((e) => BigInt(e.from + e.length))),
    int('meta/episodes/chunk_index', eps.map(() => 0n)),
    int('meta/episodes/file_index', eps.map(() => 0n)),
  ];
  for (const feature of Object.keys(epStats[0]!)) {
    for (const stat of ['min', 'max', 'mean', 'std', 'count'] as const) {
      const values = epStats.map((s) => (stat === 'count' ? s[feature]!.count.map(BigInt) : s[feature]![stat]));
      cols.push(list(`stats/${feature}/${stat}`, values, stat === 'count' ? 'INT64' : 'DOUBLE'));
    }
  }
  writeParquet(path.join(dir, 'meta', 'episodes', `${CHUNK_FILE(0, 0)}.parquet`), cols.map((c) => c.col as never), cols.map((c) => c.schema));
}

function writeParquet(file: string, columnData: { name: string; data: never }[], schemas: object[][], kvMetadata?: { key: string; value: string }[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const schema = [{ name: 'schema', num_children: columnData.length }, ...schemas.flat()];
  parquetWriteFile({ filename: file, columnData, schema: schema as never, ...(kvMetadata ? { kvMetadata } : {}), createdBy: 'ganglion export' });
}
