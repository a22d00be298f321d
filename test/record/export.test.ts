// `exportLerobot`: a LeRobotDataset v3.0 directory read back with DuckDB (an independent Parquet reader): layout, column types, values, episode metadata and stats.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import t from 'tap';
import { JOINTS, openRecorder, sample, tempFile } from './samples.ts';

// The export runs as the real command, in its own process: tap's TypeScript loader cannot resolve hyparquet-writer's
// subpath imports (hyparquet/src/*.js), tsx (what bin/ganglion.js uses) can.
const MAIN = new URL('../../host/cli/main.ts', import.meta.url).pathname;
function ganglion(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
function exportLerobot(files: string[], o: { out: string }): { episodes: number; frames: number; tasks: string[] } {
  const r = ganglion('export', ...files, '--format', 'lerobot', '--out', o.out);
  if (r.code !== 0) throw new Error(r.err);
  const m = /(\d+) episodes, (\d+) frames, (\d+) task/.exec(r.out)!;
  return { episodes: Number(m[1]), frames: Number(m[2]), tasks: Array(Number(m[3])) };
}
const readRecording = (f: string) => f;

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

function record(file: string, episodes: number[], task?: string): string {
  const rec = openRecorder(file, task ? { task } : {});
  for (const n of episodes) {
    rec.startEpisode();
    for (let k = 0; k < n; k++) rec.add(sample(rec.state().kept, k));
    rec.endEpisode();
  }
  rec.close();
  return file;
}

t.test('two recordings -> one v3.0 dataset with the layout, types and values LeRobot reads', async (t) => {
  const a = record(tempFile('a.mcap'), [12, 8]);
  const b = record(tempFile('b.mcap'), [5], 'push the block');
  const out = path.join(path.dirname(a), 'ds');
  const s = exportLerobot([readRecording(a), readRecording(b)], { out });
  t.same([s.episodes, s.frames, s.tasks.length], [3, 25, 2]);
  for (const f of ['meta/info.json', 'meta/stats.json', 'meta/tasks.parquet', 'meta/episodes/chunk-000/file-000.parquet', 'data/chunk-000/file-000.parquet']) t.ok(existsSync(path.join(out, f)), f);
  const info = JSON.parse(readFileSync(path.join(out, 'meta/info.json'), 'utf8'));
  t.match(info, { codebase_version: 'v3.0', fps: 100, robot_type: 'test-bot', total_episodes: 3, total_frames: 25, total_tasks: 2, chunks_size: 1000,
    data_files_size_in_mb: 100, video_path: null, splits: { train: '0:3' }, data_path: 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet' });
  t.same(info.features['observation.state'], { dtype: 'float32', shape: [3], names: JOINTS });
  t.same(info.features.action, { dtype: 'float32', shape: [3], names: JOINTS });
  t.same(info.features.timestamp, { dtype: 'float32', shape: [1], names: null });
  t.same(info.features.task_index, { dtype: 'int64', shape: [1], names: null });

  const data = path.join(out, 'data/chunk-000/file-000.parquet');
  const types = Object.fromEntries((await query(`DESCRIBE SELECT * FROM read_parquet('${data}')`)).map((r) => [r.column_name, r.column_type]));
  t.match(types, { index: 'BIGINT', episode_index: 'BIGINT', frame_index: 'BIGINT', timestamp: 'FLOAT', task_index: 'BIGINT', 'observation.state': 'FLOAT[]', action: 'FLOAT[]', intervention: 'BIGINT' });
  const rows = await query(`SELECT * FROM read_parquet('${data}') ORDER BY "index"`);
  t.equal(rows.length, 25);
  t.same(rows.map((r) => Number(r.index)), [...Array(25).keys()]);
  t.same(rows.map((r) => Number(r.episode_index)), [...Array(12).fill(0), ...Array(8).fill(1), ...Array(5).fill(2)]);
  t.same(rows.slice(12, 20).map((r) => Number(r.frame_index)), [...Array(8).keys()]);
  t.equal(Number(rows[24]!.task_index), 1);
  const want = sample(1, 3).action.map((v) => Math.fround(v));
  t.same(rows[15]!.action, want, 'float32 action values');
  t.equal(rows[12]!.timestamp, 0, 'each episode starts at t=0');
  t.ok((rows[13]!.timestamp as number) >= 0, 'the real time between samples');
  t.same(rows.slice(0, 12).map((r) => Number(r.intervention)), [...Array(5).fill(0), ...Array(7).fill(1)], 'teleop frames after the skill are interventions');

  const eps = await query(`SELECT * FROM read_parquet('${path.join(out, 'meta/episodes/chunk-000/file-000.parquet')}') ORDER BY episode_index`);
  t.same(eps.map((e) => [Number(e.episode_index), e.tasks, Number(e.length), Number(e['dataset_from_index']), Number(e['dataset_to_index']), Number(e['data/chunk_index']), Number(e['data/file_index'])]),
    [[0, ['reach the red block'], 12, 0, 12, 0, 0], [1, ['reach the red block'], 8, 12, 20, 0, 0], [2, ['push the block'], 5, 20, 25, 0, 0]]);
  t.same(eps[2]!['stats/episode_index/min'], [2]);
  t.same(eps[0]!['stats/observation.state/count'], ['12']);
  const epTypes = Object.fromEntries((await query(`DESCRIBE SELECT * FROM read_parquet('${path.join(out, 'meta/episodes/chunk-000/file-000.parquet')}')`)).map((r) => [r.column_name, r.column_type]));
  t.match(epTypes, { tasks: 'VARCHAR[]', length: 'BIGINT', 'stats/action/mean': 'DOUBLE[]' });

  const tasks = await query(`SELECT * FROM read_parquet('${path.join(out, 'meta/tasks.parquet')}') ORDER BY task_index`);
  t.same(tasks.map((r) => [r.task, Number(r.task_index)]), [['reach the red block', 0], ['push the block', 1]]);
  const meta = await query(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${path.join(out, 'meta/tasks.parquet')}')`);
  t.match(JSON.parse(meta.find((m) => m.k === 'pandas')!.v as string), { index_columns: ['task'] }, 'pandas reads task as the index, as LeRobot writes it');

  const stats = JSON.parse(readFileSync(path.join(out, 'meta/stats.json'), 'utf8'));
  const all = rows.map((r) => (r.action as number[])[0]!);
  t.ok(Math.abs(stats.action.min[0] - Math.min(...all)) < 1e-6);
  t.ok(Math.abs(stats.action.max[0] - Math.max(...all)) < 1e-6);
  t.same(stats.index.count, [25]);
  t.ok(Math.abs(stats.index.mean[0] - 12) < 1e-12);
});

t.test('bad input: an empty recording, a non-empty --out, mismatched recordings', async (t) => {
  const empty = tempFile('e.mcap');
  openRecorder(empty).close();
  const out = path.join(path.dirname(empty), 'ds');
  t.throws(() => exportLerobot([readRecording(empty)], { out }), /no complete episode with frames to export; record some with `ganglion record`/);
  t.notOk(existsSync(out), 'nothing written');
  const a = record(tempFile('a.mcap'), [3]);
  mkdirSync(out);
  writeFileSync(path.join(out, 'keep.txt'), 'x');
  t.throws(() => exportLerobot([readRecording(a)], { out }), /exists and is not empty/);
  t.equal(readFileSync(path.join(out, 'keep.txt'), 'utf8'), 'x', 'an existing directory is left alone');
  const b = tempFile('b.mcap');
  const rec = openRecorder(b, { fps: 50 });
  rec.startEpisode();
  rec.add(sample(0, 0));
  rec.close();
  t.throws(() => exportLerobot([readRecording(a), readRecording(b)], { out: out + '2' }), /fps 50 differs/);
});
