// The teleop sources' logic without a robot: leader calibration and mapping, smooth engage, deadman and tap, bad readings; keyboard key repeat as deadman, speed steps; the scripted operator's seeded person.
import t from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { calibrationFromSweep, countsToJointRad, loadLeaderCalibration, writeLeaderCalibration } from '../../host/teleop/leader-calibration.ts';
import { LeaderSource, type LeaderReading } from '../../host/teleop/leader.ts';
import { KeyboardSource, splitKeys } from '../../host/teleop/keyboard.ts';
import { knobToVolts, ScriptedOperator } from '../../host/teleop/scripted-operator.ts';

const cal = calibrationFromSweep('reference', 'leader', 0, {
  shoulder: { analog: 0, counts: [100, 500, 900], joint_range_rad: [-1.5, 1.5] },
  elbow: { analog: 1, counts: [200, 1000], joint_range_rad: [-1.5, 1.5], invert: true },
});

t.test('leader calibration: the sweep maps the ADC range onto the joint range; written atomically, read back, bad files named', (t) => {
  t.equal(countsToJointRad(cal.joints.shoulder!, 100), -1.5);
  t.equal(countsToJointRad(cal.joints.shoulder!, 500), 0);
  t.equal(countsToJointRad(cal.joints.shoulder!, 900), 1.5);
  t.equal(countsToJointRad(cal.joints.elbow!, 200), 1.5, 'inverted pot');
  t.equal(countsToJointRad(cal.joints.shoulder!, 950), 1.5, 'clamped to the joint range');
  const dir = t.testdir();
  const file = path.join(dir, 'reference-leader.json');
  writeLeaderCalibration(file, cal);
  t.same(readdirSync(dir), ['reference-leader.json'], 'no temp file left');
  t.same(loadLeaderCalibration(file), cal);
  writeFileSync(file, readFileSync(file, 'utf8').replace('"adc_max": 900', '"adc_max": 120'));
  t.throws(() => loadLeaderCalibration(file), /joints\.shoulder: adc_max - adc_min must be >= 50 counts: sweep the pot/);
  writeFileSync(file, '{');
  t.throws(() => loadLeaderCalibration(file), /corrupt: not valid JSON.*recalibrate/);
  t.throws(() => loadLeaderCalibration(path.join(dir, 'none.json')), /missing: calibrate the leader first/);
  t.end();
});

function leaderRig(o: { gripper?: boolean } = {}) {
  const dev: LeaderReading = { analog: [500, 600], inputs: 0, receivedAtMs: 0 };
  const src = new LeaderSource({ device: () => dev, calibration: cal, engage_speed_radps: 1, ...(o.gripper ? { gripper: { joint: 'gripper', open_rad: 0, closed_rad: 1 } } : {}) });
  return { dev, src };
}

t.test('leader: no jump on engage (the gap closes at the engage speed), then mirrors; released -> null (hold)', (t) => {
  const { dev, src } = leaderRig();
  const follower = { joints_rad: { shoulder: 1.0, elbow: -1.0 } };
  t.equal(src.read(0, follower), null, 'button up: nothing to send');
  dev.inputs = 1;
  let now = 0;
  const first = src.read((now += 10), follower)!;
  t.same(first.position_rad, { shoulder: 1.0, elbow: -1.0 }, 'the first command is where the follower is, not where the leader is');
  let prev = first.position_rad!;
  let ticks = 0;
  while (src.isEngaging && ticks++ < 1000) {
    dev.receivedAtMs = now;
    const c = src.read((now += 10), follower)!.position_rad!;
    for (const j of ['shoulder', 'elbow']) t.ok(Math.abs(c[j]! - prev[j]!) <= 1 * 0.01 + 1e-9, `tick ${ticks} ${j}: step <= 1 rad/s x 10 ms`);
    prev = c;
    if (t.passing() === false) break;
  }
  t.ok(ticks > 50 && ticks < 200, `engaged after ${ticks} ticks (1 rad gap at 1 rad/s)`);
  dev.analog = [700, 600];
  dev.receivedAtMs = now;
  t.ok(Math.abs(src.read((now += 10), follower)!.position_rad!.shoulder! - 0.75) < 1e-9, 'engaged: mirrors the leader at once');
  dev.inputs = 0;
  t.equal(src.read((now += 10), follower), null, 'released: hold');
  t.end();
});

t.test('leader: a tap toggles the gripper; a pot out of its calibrated range, NaN, or a silent leader are refused naming it', (t) => {
  const { dev, src } = leaderRig({ gripper: true });
  const follower = { joints_rad: { shoulder: 0, elbow: 0.5 } };
  dev.inputs = 1;
  t.equal(src.read(0, follower)!.position_rad!.gripper, 0, 'open');
  dev.inputs = 0;
  src.read(100, follower);
  dev.inputs = 1;
  dev.receivedAtMs = 200;
  t.equal(src.read(200, follower)!.position_rad!.gripper, 1, 'a 100 ms tap closed it');
  dev.analog = [1023, 600];
  t.throws(() => src.read(210, follower), /leader pot for shoulder reads 1023 counts, outside its calibrated 100\.\.900 \(\+-64\): is it unplugged\?.*the robot holds/);
  dev.analog = [NaN, 600];
  t.throws(() => src.read(220, follower), /leader pot for shoulder reads NaN/);
  dev.analog = [500, 600];
  t.throws(() => src.read(900, follower), /leader node "leader" silent for 700 ms \(unplugged\?\); the robot holds/);
  t.end();
});

t.test('keyboard: arrows split whole; a key is held while the repeat keeps coming; speed steps; space lets go', (t) => {
  t.same(splitKeys('w\x1b[Aj1'), ['w', '\x1b[A', 'j', '1']);
  const kb = new KeyboardSource({ max_wheel_radps: 10, max_joint_radps: 1, first_repeat_ms: 500, repeat_ms: 100 });
  const f = { joints_rad: { shoulder: 0.2, elbow: 0.1 } };
  t.equal(kb.read(0, f), null, 'no key: hold');
  kb.feed('5w', 0);
  const c = kb.read(10, f)!;
  t.same(c.velocity_radps, { wheel_left: 10, wheel_right: 10 }, 'w at step 5: full speed forward');
  t.same(c.position_rad, { shoulder: 0.2, elbow: 0.1 }, 'the arm holds where the follower is');
  t.ok(kb.read(400, f), 'still held inside the first repeat delay');
  kb.feed('w', 520);
  t.ok(kb.read(600, f), 'a repeat keeps it held');
  t.equal(kb.read(700, f), null, 'no repeat for > 100 ms: let go, hold');
  kb.feed('1i', 1000);
  kb.read(1000, f);
  const arm = kb.read(1100, f)!;
  t.ok(Math.abs(arm.position_rad!.shoulder! - (0.2 + 0.2 * 1 * 0.1)) < 1e-9, 'i at step 1 moves the shoulder at 0.2 rad/s');
  t.same(arm.velocity_radps, { wheel_left: 0, wheel_right: 0 }, 'wheels stopped while only the arm moves');
  kb.feed(' ', 1110);
  t.equal(kb.read(1120, f), null, 'space lets go at once');
  let quit = 0;
  new KeyboardSource({ onQuit: () => quit++ }).feed('q\x03', 0);
  t.equal(quit, 2);
  t.end();
});

t.test('scripted operator: seeded, reacts late, closes the loop on what it sees, lets go on target', (t) => {
  const run = (seed: number, sloppiness = 1) => {
    const op = new ScriptedOperator({ seed, goal_rad: { shoulder: 0.8, elbow: -0.6 }, start_knob_rad: { shoulder: 0, elbow: 0 }, sloppiness });
    // The follower: a first-order lag behind the knob while the button is held (a stand-in for the real arm here).
    const q = { shoulder: 0, elbow: 0 };
    const trace: { t: number; button: boolean; knob: number }[] = [];
    let out;
    for (let i = 0; i < 1500; i++) {
      out = op.step(i * 0.01, 0.01, q);
      if (out.button) for (const j of ['shoulder', 'elbow'] as const) q[j] += (out.knob_rad[j]! - q[j]) * 0.08;
      trace.push({ t: i * 0.01, button: out.button, knob: out.knob_rad.shoulder! });
      if (out.done) break;
    }
    return { q, trace, done: out!.done };
  };
  const a = run(3);
  t.ok(a.done, `seed 3 finished after ${a.trace.at(-1)!.t.toFixed(2)} s`);
  t.ok(Math.abs(a.q.shoulder - 0.8) < 0.01 && Math.abs(a.q.elbow + 0.6) < 0.01, 'the follower ended on the goal');
  const pressAt = a.trace.find((x) => x.button)!.t;
  t.ok(pressAt >= 0.15 && pressAt <= 0.36, `reaction delay ${pressAt.toFixed(2)} s`);
  t.same(run(3).trace, a.trace, 'same seed, same person');
  t.not(JSON.stringify(run(4).trace), JSON.stringify(a.trace), 'another seed, another person');
  t.equal(knobToVolts(0), 2.5);
  t.equal(knobToVolts(10), 5, 'clamped to the supply');
  t.end();
});
