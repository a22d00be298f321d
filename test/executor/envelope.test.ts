// The safety envelope, one behaviour at a time: limits, step, workspace, stall and e-stop latches, heartbeat, bad input.
import t from 'tap';
import type { Action } from '../../host/executor/contract.ts';
import { parseEnvelopeConfig } from '../../host/executor/envelope-config.ts';
import { applyEnvelope, clampList, clearLatches, createEnvelope, latchEstop, recordHeartbeat, type ClampReason } from '../../host/executor/envelope.ts';
import { CONFIG, makeState, RATE_HZ, TICK_NS } from './fixtures/envelope.ts';

const WL = 0, WR = 1, ARM = 2, WRIST = 3;
const reasons = (out: ReturnType<typeof applyEnvelope>) => clampList(out).map((c) => `${c.subject}:${c.reason}`);
const has = (out: ReturnType<typeof applyEnvelope>, subject: string, reason: ClampReason) => reasons(out).includes(`${subject}:${reason}`);

function fresh() {
  return createEnvelope(CONFIG, RATE_HZ);
}

t.test('a command inside every limit passes unchanged', (t) => {
  const env = fresh();
  const out = applyEnvelope(env, { velocity_radps: { wl: 0.5, wr: 0.25 }, position_rad: { arm: 0.001, wrist: 0.01 } }, makeState(), 0);
  t.same(Array.from(out.value), [0.5, 0.25, 0.001, 0.01]);
  t.same(Array.from(out.torque), [1, 1, 1, 1]);
  t.same(Array.from(out.safe), [0, 0, 0, 0]);
  t.equal(out.clamp_count, 0);
  t.end();
});

t.test('position limit: the target never passes position_max_rad', (t) => {
  const env = fresh();
  let state = makeState({ pos: { arm: 0.9 } });
  let last = 0;
  let sawLimit = false;
  for (let k = 0; k < 100; k++) {
    const out = applyEnvelope(env, { position_rad: { arm: 5 } }, state, k * TICK_NS);
    sawLimit ||= has(out, 'arm', 'position_limit');
    last = out.value[ARM]!;
    t.ok(last <= 1, 'within the limit');
    state = makeState({ pos: { arm: last } }); // the joint follows
  }
  t.equal(last, 1, 'reaches the limit');
  t.ok(sawLimit);
  t.end();
});

t.test('velocity joint: velocity limit, acceleration ramp, max step', (t) => {
  const env = fresh();
  const first = applyEnvelope(env, { velocity_radps: { wl: 50, wr: 50 } }, makeState(), 0);
  t.equal(first.value[WL], 1, 'accel 100 rad/s^2 allows 1 rad/s in one 10 ms tick');
  t.ok(has(first, 'wl', 'velocity_limit') && has(first, 'wl', 'accel_limit'));
  t.equal(first.value[WR], 0.5, 'wr: max_step_radps 0.5 binds before the ramp');
  t.ok(has(first, 'wr', 'max_step'));
  let out = first;
  for (let k = 1; k < 30; k++) out = applyEnvelope(env, { velocity_radps: { wl: 50, wr: 50 } }, makeState({ vel: { wl: out.value[WL]!, wr: out.value[WR]! } }), k * TICK_NS);
  t.equal(out.value[WL], 10, 'settles at velocity_max_radps');
  t.equal(out.value[WR], 10);
  const down = applyEnvelope(env, { velocity_radps: { wl: -10 } }, makeState({ vel: { wl: 10, wr: 10 } }), 30 * TICK_NS);
  t.equal(down.value[WL], 9, 'slowing down is ramped too');
  t.equal(down.value[WR], 9.5, 'a velocity joint the action leaves out ramps toward 0');
  t.end();
});

t.test('position joint: velocity and acceleration shape the target, stopping is immediate', (t) => {
  const env = fresh();
  const targets: number[] = [];
  for (let k = 0; k < 8; k++) targets.push(applyEnvelope(env, { position_rad: { arm: 0.25 } }, makeState({ pos: { arm: targets.at(-1) ?? 0 } }), k * TICK_NS).value[ARM]!);
  const speeds = targets.map((x, k) => Math.round(((x - (targets[k - 1] ?? 0)) / 0.01) * 1e9) / 1e9);
  t.same(speeds.slice(0, 5), [0.5, 1, 1.5, 2, 2], 'speeds up by 0.5 rad/s per tick up to 2 rad/s');
  const stop = applyEnvelope(env, { position_rad: { arm: targets.at(-1)! } }, makeState({ pos: { arm: targets.at(-1)! } }), 9 * TICK_NS);
  t.equal(stop.value[ARM], targets.at(-1), 'asking to stay is obeyed at once: no overshoot');
  t.notOk(has(stop, 'arm', 'accel_limit'));
  t.end();
});

t.test('max step per tick and max lead over the measured position', (t) => {
  const env = fresh();
  const a = applyEnvelope(env, { position_rad: { wrist: 0.2 } }, makeState(), 0);
  t.equal(a.value[WRIST], 0.05);
  t.ok(has(a, 'wrist', 'max_step'));
  const env2 = fresh();
  let out = applyEnvelope(env2, { position_rad: { wrist: 1.5 } }, makeState(), 0);
  for (let k = 1; k < 20; k++) out = applyEnvelope(env2, { position_rad: { wrist: 1.5 } }, makeState(), k * TICK_NS); // the joint does not follow
  t.equal(out.value[WRIST], 0.3, 'the target waits 0.3 rad ahead of a joint that is not following');
  t.ok(has(out, 'wrist', 'max_lead'));
  t.end();
});

t.test('workspace: no driving further out of the box, turning and driving back in are allowed', (t) => {
  // The wheels start at rest, so the ramps do not hide what the workspace did.
  const atEdge = makeState({ base: [1, 0, 0] });
  const env = fresh();
  const out = applyEnvelope(env, { velocity_radps: { wl: 1, wr: 1 } }, atEdge, 0);
  t.same([out.value[WL], out.value[WR]], [0, 0], 'forward at the +x edge, facing out: refused');
  t.ok(has(out, 'wl', 'workspace') && has(out, 'wr', 'workspace'));
  const turning = applyEnvelope(fresh(), { velocity_radps: { wl: 1, wr: 0.6 } }, makeState({ base: [1, 0, 0] }), 0);
  t.same([turning.value[WL], turning.value[WR]], [0.2, -0.2], 'the forward part is removed, the turn is kept');
  const back = applyEnvelope(fresh(), { velocity_radps: { wl: 1, wr: 1 } }, makeState({ base: [1.2, 0, Math.PI] }), 0);
  t.same([back.value[WL], back.value[WR]], [1, 0.5], 'outside but facing in: driving back in is allowed (wr ramps by its max step)');
  const inside = applyEnvelope(fresh(), { velocity_radps: { wl: 1, wr: 1 } }, makeState({ base: [0.5, 0.99, Math.PI / 2] }), 0);
  t.equal(inside.value[WL], 1, 'inside, one tick from the +y edge: still allowed');
  const yEdge = applyEnvelope(fresh(), { velocity_radps: { wl: 1, wr: 1 } }, makeState({ base: [0.5, 1, Math.PI / 2] }), 0);
  t.equal(yEdge.value[WL], 0, 'at the +y edge facing +y: refused');
  const unknown = applyEnvelope(fresh(), { velocity_radps: { wl: 1, wr: 1 } }, makeState({ base: [NaN, 0, 0] }), 0);
  t.equal(unknown.value[WL], 0, 'unknown pose: no translation');
  t.end();
});

t.test('stall: large error without motion for time_ms turns torque off, latches, reports, clears', (t) => {
  const env = fresh();
  const still = makeState(); // the arm never moves
  let latchedAt = -1;
  let text = '';
  for (let k = 0; k < 40 && latchedAt < 0; k++) {
    const out = applyEnvelope(env, { position_rad: { arm: 0.3 } }, still, k * TICK_NS);
    if (has(out, 'arm', 'stall')) {
      latchedAt = k;
      text = env.stallReason[ARM]!;
      t.equal(out.torque[ARM], 0);
    }
  }
  // The target passes 0.2 rad of error at tick 11 (0.005+0.01+...), then 100 ms = 10 ticks more.
  t.ok(latchedAt >= 20 && latchedAt <= 23, `latched after 100 ms of stall (tick ${latchedAt})`);
  t.match(text, /arm stalled: tracking error 0\.\d+ rad .* torque is off/);
  const later = applyEnvelope(env, { position_rad: { arm: 0 } }, makeState({ pos: { arm: 0.05 } }), 100 * TICK_NS);
  t.equal(later.torque[ARM], 0, 'still off: the latch holds even once the error is gone');
  t.ok(has(later, 'arm', 'stall_latched'));
  t.equal(later.torque[WL], 1, 'other joints are unaffected');
  clearLatches(env);
  const cleared = applyEnvelope(env, { position_rad: { arm: 0.06 } }, makeState({ pos: { arm: 0.05 } }), 101 * TICK_NS);
  t.equal(cleared.torque[ARM], 1);
  t.ok(Math.abs(cleared.value[ARM]! - 0.055) < 1e-12, 'restarts from the measured position, ramped');
  t.end();
});

t.test('stall timer resets when the joint moves', (t) => {
  const env = fresh();
  for (let k = 0; k < 60; k++) {
    const moving = k % 5 === 0; // moves every 50 ms: never 100 ms still
    const out = applyEnvelope(env, { velocity_radps: { wl: 5 } }, makeState({ vel: { wl: moving ? 1 : 0 }, base: [0, 0, Math.PI / 2] }), k * TICK_NS);
    t.equal(out.torque[WL], 1);
  }
  t.end();
});

t.test('e-stop latch: every joint safe until cleared, whatever the controller asks', (t) => {
  const env = fresh();
  let out = applyEnvelope(env, { velocity_radps: { wl: 1 }, position_rad: { arm: 0.01 } }, makeState({ vel: { wl: 1 } }), 0);
  const armHold = out.value[ARM]!;
  latchEstop(env, 'button');
  latchEstop(env, 'second reason is not the first');
  t.equal(env.estop_reason, 'button');
  for (let k = 1; k < 5; k++) {
    out = applyEnvelope(env, { velocity_radps: { wl: 5 }, position_rad: { arm: 0.5 } }, makeState({ vel: { wl: 1 } }), k * TICK_NS);
    t.equal(out.estop, true);
    t.same(Array.from(out.safe), [1, 1, 1, 1]);
    t.equal(out.value[WL], 0, 'velocity joints stop at once');
    t.equal(out.value[ARM], armHold, 'position joints hold their last target');
    t.same(Array.from(out.torque), [0, 0, 0, 0], 'e-stop removes torque from every joint (stop category 0)');
    t.ok(has(out, '*', 'estop'));
  }
  clearLatches(env);
  out = applyEnvelope(env, { velocity_radps: { wl: 0.5 } }, makeState(), 10 * TICK_NS);
  t.equal(out.estop, false);
  t.equal(out.value[WL], 0.5);
  t.same(Array.from(out.torque), [1, 1, 1, 1], 'torque back after clear');
  t.end();
});

t.test("on_estop 'per_joint' keeps joints servoing; other safe states still follow each joint's on_safe", (t) => {
  const env = createEnvelope({ ...CONFIG, on_estop: 'per_joint' }, RATE_HZ);
  applyEnvelope(env, { velocity_radps: { wl: 1 }, position_rad: { arm: 0.01 } }, makeState({ vel: { wl: 1 } }), 0);
  latchEstop(env, 'button');
  const out = applyEnvelope(env, { velocity_radps: { wl: 5 } }, makeState({ vel: { wl: 1 } }), TICK_NS);
  t.same(Array.from(out.torque), [1, 1, 1, 0], "hold everywhere, except the wrist whose on_safe is torque_off");
  t.end();
});

t.test('remote heartbeat: actions from a silent source become hold/stop', (t) => {
  const env = fresh();
  const remote: Action = { source: 'op', velocity_radps: { wl: 0.5 } };
  let out = applyEnvelope(env, remote, makeState(), 0);
  t.equal(out.value[WL], 0, 'no heartbeat yet');
  t.ok(has(out, 'op', 'heartbeat'));
  t.ok(recordHeartbeat(env, 'op', 10 * TICK_NS));
  out = applyEnvelope(env, remote, makeState(), 11 * TICK_NS);
  t.equal(out.value[WL], 0.5, 'fresh heartbeat: obeyed');
  out = applyEnvelope(env, remote, makeState({ vel: { wl: 0.5 } }), 20 * TICK_NS);
  t.equal(out.value[WL], 0.5, 'exactly at the 100 ms timeout: still obeyed');
  out = applyEnvelope(env, remote, makeState({ vel: { wl: 0.5 } }), 20 * TICK_NS + 1);
  t.equal(out.value[WL], 0, 'one ns past the timeout: stopped');
  t.same(Array.from(out.safe), [1, 1, 1, 1]);
  t.ok(recordHeartbeat(env, 'op', 5 * TICK_NS) && env.heartbeat_ns[0] === 10 * TICK_NS, 'an older heartbeat does not roll time back');
  const local = applyEnvelope(env, { velocity_radps: { wl: 0.5 } }, makeState(), 21 * TICK_NS);
  t.equal(local.value[WL], 0.5, 'on-robot actions (no source) need no heartbeat');
  const stranger = applyEnvelope(env, { source: 'mallory', velocity_radps: { wl: 0.5 } }, makeState(), 21 * TICK_NS);
  t.ok(has(stranger, 'mallory', 'unknown_source'));
  t.equal(stranger.value[WL], 0);
  t.notOk(recordHeartbeat(env, 'mallory', 0), 'unknown sources cannot register a heartbeat');
  t.end();
});

t.test('NaN and Infinity become the safe default for that joint', (t) => {
  for (const bad of [NaN, Infinity, -Infinity, '1' as unknown as number]) {
    const env = fresh();
    applyEnvelope(env, { velocity_radps: { wl: 0.5 }, position_rad: { arm: 0.005 } }, makeState(), 0);
    const out = applyEnvelope(env, { velocity_radps: { wl: bad, wr: 0.1 }, position_rad: { arm: bad, wrist: bad } }, makeState(), TICK_NS);
    t.equal(out.value[WL], 0, `${String(bad)}: velocity joint stops`);
    t.equal(out.value[ARM], 0.005, `${String(bad)}: position joint holds`);
    t.equal(out.torque[WRIST], 0, `${String(bad)}: wrist's safe default is torque off`);
    t.equal(out.value[WR], 0.1, 'the other joints are still commanded');
    t.same([out.safe[WL], out.safe[WR], out.safe[ARM]], [1, 0, 1]);
    t.ok(has(out, 'wl', 'non_finite') && has(out, 'arm', 'non_finite'));
    t.ok(Array.from(out.value).every(Number.isFinite));
  }
  t.end();
});

t.test('unknown joints and wrong-kind names refuse the whole action', (t) => {
  const a = applyEnvelope(fresh(), { velocity_radps: { wl: 0.5, wheel_lefty: 1 } }, makeState(), 0);
  t.same(Array.from(a.safe), [1, 1, 1, 1]);
  t.equal(a.value[WL], 0);
  t.ok(has(a, 'wheel_lefty', 'unknown_joint'));
  const b = applyEnvelope(fresh(), { velocity_radps: { arm: 0.5 } }, makeState(), 0);
  t.ok(has(b, 'arm', 'unknown_joint'), 'a position joint named in velocity_radps');
  const c = applyEnvelope(fresh(), { position_rad: { wl: 0.5 } }, makeState(), 0);
  t.ok(has(c, 'wl', 'unknown_joint'));
  t.end();
});

t.test('no action, stale state, and never-measured joints are safe', (t) => {
  const env = fresh();
  const none = applyEnvelope(env, null, makeState(), 0);
  t.ok(has(none, '*', 'no_action'));
  t.same(Array.from(none.safe), [1, 1, 1, 1]);
  const timed = createEnvelope({ ...CONFIG, state_timeout_ms: 50 }, RATE_HZ);
  t.ok(has(applyEnvelope(timed, { velocity_radps: { wl: 0.5 } }, makeState({ stamp_ns: 0 }), 51e6), '*', 'state_stale'));
  t.equal(applyEnvelope(timed, { velocity_radps: { wl: 0.5 } }, makeState({ stamp_ns: 0 }), 50e6).value[WL], 0.5);
  t.ok(has(applyEnvelope(timed, {}, makeState({ stamp_ns: NaN }), 0), '*', 'state_stale'), 'never written counts as stale');
  const blind = createEnvelope(CONFIG, RATE_HZ);
  const out = applyEnvelope(blind, { position_rad: { arm: 0.01 } }, makeState({ pos: { arm: NaN } }), 0);
  t.equal(out.torque[ARM], 0, 'a position never measured cannot be held: torque off');
  t.ok(has(out, 'arm', 'no_state'));
  t.ok(Array.from(out.value).every(Number.isFinite));
  t.end();
});

t.test('config: the error names the field', (t) => {
  const arm = CONFIG.joints[2]!;
  t.throws(() => parseEnvelopeConfig({ joints: [{ ...arm, position_min_rad: 2 }] }), /joints\.0: position_min_rad must be below/);
  t.throws(() => parseEnvelopeConfig({ joints: [arm, arm] }), /joints\.1\.name: duplicate joint "arm"/);
  t.throws(() => parseEnvelopeConfig({ ...CONFIG, workspace: { ...CONFIG.workspace!, wheel_left: 'arm' } }), /workspace\.wheel_left: "arm" is not a velocity joint/);
  t.throws(() => parseEnvelopeConfig({ joints: [{ ...arm, velocity_max_radps: NaN }] }), /joints\.0\.velocity_max_radps/);
  t.throws(() => parseEnvelopeConfig({ joints: [{ ...arm, speed: 1 }] }), /joints\.0/);
  t.throws(() => createEnvelope(CONFIG, 0), /rate_hz/);
  t.end();
});
