// Test helper: writes a small LeRobotDataset v3.0 directory (meta/info.json, stats, tasks, episodes, data/chunk-000/file-000.parquet) with hyparquet-writer, so the trainer's DuckDB reader reads what another library wrote.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface WriterEpisode {
  obs: number[][];
  act: number[][];
  /** Per frame 0/1; written as the `intervention` column when any episode has it. */
  intervention?: number[];
}

export interface WriterOptions {
  fps?: number;
  observation_names: string[];
  action_names: string[];
  task?: string;
}

const listOf = (name: string) => [
  { name, repetition_type: 'OPTIONAL' as const, num_children: 1, converted_type: 'LIST' as const },
  { name: 'list', repetition_type: 'REPEATED' as const, num_children: 1 },
  { name: 'element', type: 'FLOAT' as const, repetition_type: 'REQUIRED' as const },
];
const scalar = (name: string, type: 'INT64' | 'FLOAT') => ({ name, type, repetition_type: 'REQUIRED' as const });

/**
 * Writes the dataset in a tsx child process: tap's TypeScript loader cannot resolve hyparquet-writer's
 * pattern export ("hyparquet/src/*.js"); tsx (as `ganglion` itself runs) can.
 */
export function writeLeRobotDataset(dir: string, episodes: WriterEpisode[], o: WriterOptions): void {
  const spec = path.join(os.tmpdir(), `lerobot-spec-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(spec, JSON.stringify({ dir, episodes, o }));
  try {
    execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), spec], { stdio: ['ignore', 'inherit', 'inherit'] });
  } finally {
    rmSync(spec, { force: true });
  }
}

async function writeHere(dir: string, episodes: WriterEpisode[], o: WriterOptions): Promise<void> {
  const { parquetWriteFile } = await import('hyparquet-writer');
  const fps = o.fps ?? 100;
  const withIntervention = episodes.some((e) => e.intervention);
  const rows = episodes.flatMap((e, ep) => e.obs.map((obs, i) => ({ ep, i, obs, act: e.act[i]!, iv: e.intervention?.[i] ?? 0 })));
  mkdirSync(path.join(dir, 'data', 'chunk-000'), { recursive: true });
  mkdirSync(path.join(dir, 'meta', 'episodes', 'chunk-000'), { recursive: true });
  const columns = [
    { name: 'observation.state', data: rows.map((r) => r.obs) },
    { name: 'action', data: rows.map((r) => r.act) },
    { name: 'timestamp', data: rows.map((r) => r.i / fps) },
    { name: 'frame_index', data: rows.map((r) => BigInt(r.i)) },
    { name: 'episode_index', data: rows.map((r) => BigInt(r.ep)) },
    { name: 'index', data: rows.map((_, k) => BigInt(k)) },
    { name: 'task_index', data: rows.map(() => 0n) },
    ...(withIntervention ? [{ name: 'intervention', data: rows.map((r) => BigInt(r.iv)) }] : []),
  ];
  const schema = [
    { name: 'root', num_children: columns.length },
    ...listOf('observation.state'),
    ...listOf('action'),
    scalar('timestamp', 'FLOAT'),
    scalar('frame_index', 'INT64'),
    scalar('episode_index', 'INT64'),
    scalar('index', 'INT64'),
    scalar('task_index', 'INT64'),
    ...(withIntervention ? [scalar('intervention', 'INT64')] : []),
  ];
  parquetWriteFile({ filename: path.join(dir, 'data', 'chunk-000', 'file-000.parquet'), columnData: columns, schema });
  parquetWriteFile({
    filename: path.join(dir, 'meta', 'tasks.parquet'),
    columnData: [{ name: 'task_index', data: [0n], type: 'INT64' }, { name: 'task', data: [o.task ?? 'reach the marker'], type: 'STRING' }],
  });
  let from = 0;
  const epRows = episodes.map((e, k) => {
    const r = { episode_index: BigInt(k), length: BigInt(e.obs.length), from: BigInt(from), to: BigInt(from + e.obs.length) };
    from += e.obs.length;
    return r;
  });
  parquetWriteFile({
    filename: path.join(dir, 'meta', 'episodes', 'chunk-000', 'file-000.parquet'),
    columnData: [
      { name: 'episode_index', data: epRows.map((r) => r.episode_index), type: 'INT64' },
      { name: 'length', data: epRows.map((r) => r.length), type: 'INT64' },
      { name: 'data/chunk_index', data: epRows.map(() => 0n), type: 'INT64' },
      { name: 'data/file_index', data: epRows.map(() => 0n), type: 'INT64' },
      { name: 'dataset_from_index', data: epRows.map((r) => r.from), type: 'INT64' },
      { name: 'dataset_to_index', data: epRows.map((r) => r.to), type: 'INT64' },
    ],
  });
  const vec = (names: string[]) => ({ dtype: 'float32', shape: [names.length], names });
  const info = {
    codebase_version: 'v3.0',
    robot_type: 'ganglion-reference',
    total_episodes: episodes.length,
    total_frames: rows.length,
    total_tasks: 1,
    chunks_size: 1000,
    data_files_size_in_mb: 100,
    video_files_size_in_mb: 500,
    fps,
    splits: { train: `0:${episodes.length}` },
    data_path: 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet',
    video_path: null,
    features: {
      'observation.state': vec(o.observation_names),
      action: vec(o.action_names),
      timestamp: { dtype: 'float32', shape: [1], names: null },
      frame_index: { dtype: 'int64', shape: [1], names: null },
      episode_index: { dtype: 'int64', shape: [1], names: null },
      index: { dtype: 'int64', shape: [1], names: null },
      task_index: { dtype: 'int64', shape: [1], names: null },
      ...(withIntervention ? { intervention: { dtype: 'int64', shape: [1], names: null } } : {}),
    },
  };
  writeFileSync(path.join(dir, 'meta', 'info.json'), JSON.stringify(info, null, 2));
  writeFileSync(path.join(dir, 'meta', 'stats.json'), JSON.stringify({}));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { dir, episodes, o } = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { dir: string; episodes: WriterEpisode[]; o: WriterOptions };
  await writeHere(dir, episodes, o);
}
