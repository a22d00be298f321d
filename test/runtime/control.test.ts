// RobotControl on the full stack (posix firmware on ptys, sessions, executor worker, envelope, world): preemption by
// e-stop and teleop, corrections logged with their context, snapshot and affordances.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readCorrectionLog } from '../../host/skills/correction-log.ts';
import { startSimRobot, type SimRobot } from '../../host/runtime/sim-robot.ts';
import type { SkillStatus } from '../../host/skills/status.ts';

const until = async (what: string, cond: () => boolean, timeout_ms = 5000) => {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeout_ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

const dir = mkdtempSync(path.join(tmpdir(), 'ganglion-control-'));
const log = path.join(dir, 'corrections.jsonl');
let sim: SimRobot;
t.before(async () => {
  sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', correction_log: log, robot_id: 'r1' });
});
t.teardown(() => sim?.stop());

t.test('snapshot: the robot, its joints and the world; skills carry affordances that say why not', async (t) => {
  const s = sim.runtime.snapshot();
  t.equal(s.robot, 'r1');
  t.equal(s.mode, 'idle');
  t.same(Object.keys(s.armed).sort(), ['arm', 'base', 'leader']);
  t.ok(Object.values(s.armed).every(Boolean), 'every MCU armed');
  t.ok(s.observation.objects.some((o) => o.kind === 'bin'), 'the bin is perceived');
  t.ok(Number.isFinite(s.observation.joints.shoulder?.position_rad), 'shoulder position known');
  const block = s.observation.objects.find((o) => o.kind === 'block')!;
  const skills = sim.runtime.skills({ grasp: { object_id: block.id } });
  t.ok(skills.length >= 9);
  const grasp = skills.find((k) => k.name === 'grasp')!;
  t.equal(grasp.affordance?.value, 0, 'grasp is infeasible with the block far from the gripper');
  t.match(grasp.affordance?.reason ?? '', /\w/, 'and says why');
  t.equal(skills.find((k) => k.name === 'drive_to')!.affordance, null, 'drive_to without args: no affordance, not a guess');
  t.equal(skills.find((k) => k.name === 'home')!.affordance?.value, 1);
  t.match(JSON.stringify(grasp.args_schema), /object_id/);
});

t.test('a correction applies to the running skill and is logged with task, skill, state and source', async (t) => {
  sim.runtime.setTask('put the red block in the bin');
  const statuses: SkillStatus[] = [];
  const on = (s: SkillStatus) => statuses.push(s);
  sim.runtime.on('skill_status', on);
  const run = sim.runtime.runSkill('turn', { angle_rad: 1.0 });
  await until('turn running', () => sim.runtime.snapshot().active_skill?.skill === 'turn');
  t.equal(sim.runtime.snapshot().mode, 'skill');
  const entry = await sim.runtime.correct('slower', 'operator1');
  t.same(entry.correction, { type: 'speed', factor: 0.5 });
  t.equal(entry.skill, 'turn');
  t.equal(entry.task, 'put the red block in the bin');
  t.equal(entry.source, 'operator1');
  t.ok(Number.isFinite(entry.state.base?.x_m));
  await t.rejects(sim.runtime.correct('do a barrel roll', 'operator1'), /accepted|forms|left/i, 'unknown phrase: the error lists accepted forms');
  await until('turn progress reported', () => (sim.runtime.snapshot().active_skill?.progress ?? 0) > 0.05);
  await sim.runtime.correct('stop', 'operator1');
  const end = await run;
  t.equal(end.state, 'cancelled', 'a "stop" correction ends the skill');
  const read = readCorrectionLog(log);
  t.equal(read.entries.length, 2, 'both valid corrections logged, the unknown one not');
  t.equal(read.entries[0]!.phrase, 'slower');
  t.equal(read.entries[0]!.skill_args && (read.entries[0]!.skill_args as { angle_rad: number }).angle_rad, 1.0);
  t.same(read.bad_lines, []);
  sim.runtime.off('skill_status', on);
  t.ok(statuses.some((s) => s.state === 'running') && statuses.some((s) => s.state === 'cancelled'));
  const progress = statuses.filter((s) => s.state === 'running').map((s) => s.progress ?? 0);
  t.ok(progress.length >= 2 && Math.max(...progress) > 0 && Math.max(...progress) < 1, `turn reports progress while it runs (${progress.map((p) => p.toFixed(2)).join(' ')})`);
  t.ok(sim.runtime.snapshot().recent_failures.some((f) => f.skill === 'turn' && f.state === 'cancelled'));
});

t.test('e-stop preempts a running skill at once, latches, refuses new skills until cleared', async (t) => {
  const run = sim.runtime.runSkill('move_base', { distance_m: 0.5 });
  await until('wheels commanded', () => Math.abs(sim.runtime.snapshot().setpoints.wheel_left ?? 0) > 0.1);
  await sim.runtime.estop('test e-stop');
  const end = await run;
  t.equal(end.state, 'cancelled', 'the skill is dropped so it cannot resume on clear');
  const s = sim.runtime.snapshot();
  t.equal(s.mode, 'estop');
  t.same(s.estop, { latched: true, reason: 'test e-stop' });
  await until('wheel setpoints zero', () => sim.runtime.snapshot().setpoints.wheel_left === 0 && sim.runtime.snapshot().setpoints.wheel_right === 0);
  await t.rejects(sim.runtime.runSkill('home', {}), /e-stop is latched/);
  await t.rejects(sim.runtime.teleop({ velocity_radps: { wheel_left: 3 }, operator: 'x' }), /e-stop is latched/);
  await sim.runtime.clearEstop();
  t.equal(sim.runtime.snapshot().mode, 'idle');
  await new Promise((r) => setTimeout(r, 100));
  t.equal(sim.runtime.snapshot().setpoints.wheel_left, 0, 'clearing does not restart anything');
});

t.test('teleop takes over from a skill; without heartbeats the envelope stops it', async (t) => {
  const run = sim.runtime.runSkill('turn', { angle_rad: 3 });
  await until('turn running', () => sim.runtime.snapshot().active_skill?.skill === 'turn');
  await sim.runtime.teleop({ velocity_radps: { wheel_left: 2, wheel_right: 2 }, operator: 'op' });
  const end = await run;
  t.equal(end.state, 'cancelled');
  t.match(end.reason ?? '', /teleop takeover/);
  t.equal(sim.runtime.snapshot().mode, 'teleop');
  // Keep heartbeating for a while: the wheels follow the operator (bounded by the envelope's ramps).
  for (let i = 0; i < 10; i++) {
    await sim.runtime.teleop({ velocity_radps: { wheel_left: 2, wheel_right: 2 }, operator: 'op' });
    await new Promise((r) => setTimeout(r, 30));
  }
  const sp = sim.runtime.snapshot().setpoints;
  t.ok(sp.wheel_left! > 0.5 && sp.wheel_right! > 0.5, `wheels follow teleop (${sp.wheel_left}, ${sp.wheel_right} rad/s)`);
  // The operator goes silent (a dropped link): 250 ms later the envelope refuses the stale command.
  await until('teleop stopped by the heartbeat timeout', () => sim.runtime.snapshot().setpoints.wheel_left === 0, 2000);
  t.pass('stale teleop stopped');
  await sim.runtime.releaseTeleop();
  t.equal(sim.runtime.snapshot().mode, 'idle');
  const home = await sim.runtime.runSkill('wait', { seconds: 0.05 });
  t.equal(home.state, 'done', 'skills run again after teleop');
});
