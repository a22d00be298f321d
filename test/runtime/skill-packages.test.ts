// A learned skill folder (as `ganglion train` writes it) given to the runtime: listed with an affordance, run by the loop worker on the emulated robot (posix firmware on ptys), recorded as 'policy', and called by the planner; a bad folder is refused naming it.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { Planner } from '../../host/planner/planner.ts';
import { RulePlanner } from '../../host/planner/rule-planner.ts';
import type { Controller } from '../../host/runtime/recording-tap.ts';
import { startSimRobot, type SimRobot } from '../../host/runtime/sim-robot.ts';
import { tipInWorld } from '../../host/skills/arm.ts';
import { ELBOW, SHOULDER } from '../../host/skills/geometry.ts';
import { referenceGeometry } from '../../host/skills/reference-robot.ts';

// The shipped learned reach, copied as a bare skill folder (policy.json, model.json, weights.bin): no module loads it.
const EXAMPLE = fileURLToPath(new URL('../../host/skills/policy/examples/reach', import.meta.url));
const dir = t.testdir();
const skills = path.join(dir, 'skills');
mkdirSync(skills);
cpSync(EXAMPLE, path.join(skills, 'reach_learned'), { recursive: true });
// A point in the middle of the reach ring, ahead of the emulated robot's base (at the origin, heading 0).
const g = referenceGeometry();
const GOAL = { x_m: g.arm_mount_x_m + 0.19, y_m: g.arm_mount_y_m + 0.03 };

let sim: SimRobot;
t.before(async () => {
  // A wide watchdog: the emulated MCUs share two loaded cores; a stall longer than the window trips them.
  sim = await startSimRobot({ firmware: 'posix', watchdog_ms: 2000, skills_dir: skills });
});
t.teardown(() => sim?.stop());

const tipError_m = () => {
  const o = sim.runtime.observation();
  const tip = tipInWorld(g, o.base, o.joints[SHOULDER]!.position_rad, o.joints[ELBOW]!.position_rad);
  return Math.hypot(tip.x_m - GOAL.x_m, tip.y_m - GOAL.y_m);
};

t.test('the runtime lists the learned skill and runs it in its loop worker on the emulated robot', async (t) => {
  const info = sim.runtime.skills({ reach_learned: GOAL }).find((s) => s.name === 'reach_learned');
  t.ok(info, 'listed beside the built-ins');
  t.ok((info?.affordance?.value ?? 0) > 0, `affordance ${info?.affordance?.value} for a point in reach`);
  t.same((info?.args_schema as { required?: string[] } | undefined)?.required, ['x_m', 'y_m']);
  const before = tipError_m();
  const controls = new Set<Controller>();
  const stop = sim.runtime.onSample((s) => controls.add(s.control));
  const status = await sim.runtime.runSkill('reach_learned', GOAL);
  stop();
  t.ok(['done', 'timeout'].includes(status.state), `ended ${status.state}${status.reason ? ` (${status.reason})` : ''}`);
  t.ok(controls.has('policy'), `the recording tap says a learned policy drove (${[...controls].join(', ')})`);
  const after = tipError_m();
  t.ok(after < before / 2, `the tip went to the goal: ${(1000 * before).toFixed(0)} mm -> ${(1000 * after).toFixed(1)} mm`);
});

t.test('the planner calls it on the emulated robot', async (t) => {
  const events: string[] = [];
  const r = await new Planner({ robot: sim.runtime, slow: new RulePlanner(), onEvent: (e) => events.push(e.type) }).run(`run reach_learned at ${GOAL.x_m} ${GOAL.y_m}`);
  t.ok(['done', 'failed'].includes(r.outcome), `outcome ${r.outcome}`);
  t.ok(r.steps.some((s) => s.skill === 'reach_learned'), 'the plan ran reach_learned');
});

t.test('a missing folder is refused naming it; a broken skill folder is named and the others still load', async (t) => {
  await t.rejects(startSimRobot({ firmware: 'posix', watchdog_ms: 2000, skills_dir: path.join(dir, 'nope') }), /nope is not a folder/);
  const mixed = path.join(dir, 'mixed');
  cpSync(skills, mixed, { recursive: true });
  mkdirSync(path.join(mixed, 'broken'));
  writeFileSync(path.join(mixed, 'broken', 'policy.json'), '{"format": "ganglion.policy/1"}');
  const other = await startSimRobot({ firmware: 'posix', watchdog_ms: 2000, skills_dir: mixed, arm: false });
  t.teardown(() => other.stop());
  t.ok(other.runtime.skills().some((s) => s.name === 'reach_learned'), 'the good skill folder loaded');
  t.match(other.runtime.packages?.errors.map((e) => e.error).join('\n') ?? '', /learned skill broken: .*policy\.json/, 'the broken one is named with its file');
});

t.test('ganglion run --skills DIR: the robot loads the folder; a missing one is refused', async (t) => {
  const main = fileURLToPath(new URL('../../host/cli/main.ts', import.meta.url));
  // Spawned, not spawnSync: the robot of the tests above still runs on this thread and must not stall.
  const run = (...a: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, ['--import', 'tsx', main, 'run', '--posix', '--demo', 'idle', '--no-mqtt', '--duration', '2', ...a], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.stderr.on('data', (d) => (stderr += d));
      c.on('exit', (status) => resolve({ status, stdout, stderr }));
    });
  const ok = await run('--skills', skills);
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stdout, /skills from .*: reach_learned/);
  const bad = await run('--skills', path.join(dir, 'nope'));
  t.not(bad.status, 0);
  t.match(bad.stderr, /nope is not a folder/);
});
