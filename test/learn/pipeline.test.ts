// The demonstration pipeline end to end through the real commands: `ganglion record --teleop leader --scripted` on the emulated robot (firmware .hex in avr8js, the scripted person turning the leader's pots) -> `ganglion export` -> `ganglion train` -> the skill loads in the registry -> `ganglion plan --kinematic` runs it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import t from 'tap';
import { readRecording } from '../../host/record/reader.ts';
import { baseToWorld } from '../../host/skills/arm.ts';
import { REACH_ACTION, TARGET_FEATURES, TAUGHT_REACH_OBSERVATION } from '../../host/skills/policy/features.ts';
import { referenceGeometry } from '../../host/skills/reference-robot.ts';
import { createRegistry, loadSkillPackages } from '../../host/skills/registry.ts';
import { randomScene } from '../../host/world/world.ts';

// Spawned as bin/ganglion.js does (tsx): hyparquet-writer's subpath imports need it (see test/record/export.test.ts).
const MAIN = new URL('../../host/cli/main.ts', import.meta.url).pathname;
function ganglion(...args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

t.test('record -> export -> train -> load -> plan', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'reach.mcap');
  // A wide watchdog and short episodes: the emulated MCUs share two loaded cores with everything else.
  const rec = await ganglion('record', '--task', 'reach the goal', '--teleop', 'leader', '--scripted', '--seed', '3', '--episodes', '3', '--episode-time', '10', '--reset-time', '0',
    '--fps', '50', '--watchdog-ms', '2000', '--calibration-dir', dir, '--out', file);
  t.equal(rec.code, 0, rec.out);
  t.match(rec.out, /calibrating the leader/, 'no calibration yet: the scripted person sweeps the pots first');
  t.match(rec.out, /goal: reach \(-?[\d.]+, -?[\d.]+\) m/, 'each episode shows its goal');

  const r = readRecording(file);
  t.same(r.episodes.map((e) => [e.index, e.status]), [[0, 'kept'], [1, 'kept'], [2, 'kept']]);
  t.ok(r.session.geometry, 'the robot geometry is in the session metadata');
  for (const e of r.episodes) {
    t.ok(e.frames.length > 0 && e.frames.every((f) => f.goal !== null), `episode ${e.index}: every frame carries the goal`);
    t.equal(new Set(e.frames.map((f) => `${f.goal!.x_m},${f.goal!.y_m}`)).size, 1, `episode ${e.index}: one goal`);
  }
  const teleop = r.episodes.flatMap((e) => e.frames).filter((f) => f.control === 'teleop' && f.teleop?.operator === 'leader');
  t.ok(teleop.length > 0, `${teleop.length} frames driven from the leader's pots through the firmware's ADC`);

  const ds = path.join(dir, 'ds');
  const ex = await ganglion('export', file, '--format', 'lerobot', '--out', ds);
  t.equal(ex.code, 0, ex.out);
  const info = JSON.parse(readFileSync(path.join(ds, 'meta/info.json'), 'utf8'));
  t.same(info.features['observation.environment_state'], { dtype: 'float32', shape: [TARGET_FEATURES.length], names: [...TARGET_FEATURES] });
  t.same(info.features['observation.goal'], { dtype: 'float32', shape: [2], names: ['x_m', 'y_m'] });
  t.same(info.features.action.names, r.session.joints, 'action stays joint-keyed');
  // Read back with DuckDB: the goal relative to the tip shrinks over an episode where the person got there.
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const rows = (await c.runAndReadAll(`SELECT episode_index, "observation.environment_state" AS env FROM read_parquet('${path.join(ds, 'data/chunk-000/file-000.parquet')}') ORDER BY "index"`)).getRowObjectsJson() as { env: number[] }[];
  c.closeSync();
  db.closeSync();
  t.equal(rows.length, info.total_frames);
  t.ok(rows.every((x) => x.env.length === TARGET_FEATURES.length && x.env.every((v) => Number.isFinite(v))), 'finite goal features in every frame');

  const skills = path.join(dir, 'skills');
  const tr = await ganglion('train', ds, '--skill', 'reach_taught', '--out', skills, '--epochs', '8', '--hidden', '32,32', '--seed', '2', '--eval', '0', '--all-episodes');
  t.equal(tr.code, 0, tr.out);
  // Counted on the last frame's goal relative to the tip; --all-episodes: on a loaded machine the emulator can fall behind the person.
  t.match(tr.out, /\d of 3 episodes end within 10 mm of their goal \(training on all, --all-episodes\)/);
  t.match(tr.out, /training frames from 2 episodes \(1 held out\)/);
  const m = JSON.parse(readFileSync(path.join(skills, 'reach_taught', 'policy.json'), 'utf8'));
  t.same(m.observation.map((f: { feature: string }) => f.feature), TAUGHT_REACH_OBSERVATION, 'the policy reads the features the skill computes at run time');
  t.same(m.action.map((f: { feature: string }) => f.feature), REACH_ACTION);
  t.same(m.training.datasets, [path.resolve(ds)]);

  const registry = createRegistry();
  const loaded = await loadSkillPackages(registry, skills);
  t.same(loaded.errors, []);
  t.ok(registry.tools().some((x) => x.name === 'reach_taught'), 'the registry offers the learned skill to planners');

  // A point in the middle of the reach ring (0.16-0.22 m from the shoulder), ahead of the base of the plan's scene.
  const g = referenceGeometry();
  const p = baseToWorld(randomScene(1).base, { x_m: g.arm_mount_x_m + 0.19, y_m: g.arm_mount_y_m + 0.02 });
  // Trained with --eval 0: three demonstrations make a weak reach, and an evaluated success rate of 0 would become
  // an affordance of 0 that the planner refuses (bench/learn.ts measures how well it reaches).
  const plan = await ganglion('plan', '--kinematic', '--seed', '1', '--offline', '--no-memory', '--skills', skills, `run reach_taught at ${p.x_m.toFixed(3)} ${p.y_m.toFixed(3)}`);
  t.match(plan.out, /run reach_taught \{/, plan.out);
  t.match(plan.out, /-> (done|failed|timeout)/, 'the learned skill ran to an end');
  t.ok(plan.code === 0 || plan.code === 1, `plan exit ${plan.code}`);

  // A DAgger round on the emulated robot: the learned skill runs each episode from its goal, the scripted person
  // watches and takes the leader only where the run ends off the goal; those frames are interventions, and
  // `ganglion train --dagger` trains the next round on them.
  const round = path.join(dir, 'round1.mcap');
  const rr = await ganglion('record', '--task', 'reach the goal', '--teleop', 'leader', '--scripted', '--seed', '5', '--episodes', '2', '--episode-time', '20', '--reset-time', '0',
    '--fps', '50', '--watchdog-ms', '2000', '--calibration-dir', dir, '--skills', skills, '--skill', 'reach_taught', '--out', round);
  t.equal(rr.code, 0, rr.out);
  t.match(rr.out, /skills from .*: reach_taught/, 'the learned skill loads in the emulated robot\'s runtime');
  const verdicts = [...rr.out.matchAll(/episode (\d): reach_taught (\w+), tip ([\d.]+) mm from the goal: (no takeover|the scripted person takes over)/g)];
  t.equal(verdicts.length, 2, `the person judged both runs:\n${rr.out}`);
  const rd = readRecording(round);
  rd.episodes.forEach((e, k) => {
    const v = verdicts.find((m) => Number(m[1]) === k + 1)!;
    const took = v[4] !== 'no takeover';
    t.equal(Number(v[3]) > 5, took, `episode ${k + 1}: ${v[3]} mm off -> ${v[4]}`);
    const ran = e.frames.filter((f) => f.skill === 'reach_taught');
    t.ok(ran.length > 0, `episode ${k + 1}: ${ran.length} frames driven by the learned skill`);
    t.same(ran[0]!.skill_args, e.frames[0]!.goal, 'the skill was given the episode\'s goal');
    const takeover = e.frames.filter((f) => f.control === 'teleop');
    t.equal(takeover.length > 0, took, `episode ${k + 1}: ${takeover.length} teleop frames`);
    t.ok(takeover.every((f) => f.intervention), 'every takeover frame is an intervention');
  });
  const ds1 = path.join(dir, 'ds1');
  t.equal((await ganglion('export', round, '--format', 'lerobot', '--out', ds1)).code, 0);
  const r1 = await ganglion('train', ds1, '--skill', 'reach_taught_r1', '--out', skills, '--dagger', path.join(skills, 'reach_taught'), '--epochs', '4', '--hidden', '32,32', '--seed', '2', '--eval', '0', '--all-episodes');
  t.equal(r1.code, 0, r1.out);
  const m1 = JSON.parse(readFileSync(path.join(skills, 'reach_taught_r1', 'policy.json'), 'utf8'));
  t.same(m1.training.datasets, [path.resolve(ds), path.resolve(ds1)], 'round 1 aggregates the first demonstrations and the round');
  t.equal(m1.training.intervention_frames, rd.episodes.flatMap((e) => e.frames).filter((f) => f.intervention).length, 'the interventions are counted into the training');
});
