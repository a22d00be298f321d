// The arming gate: missing, corrupt and mismatched calibrations are refused in one actionable sentence.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CalibrationError, writeCalibration } from '../../host/calibration/file.ts';
import { calibratedNode, requireCalibration } from '../../host/calibration/require.ts';
import { wiringHash } from '../../host/calibration/wiring-hash.ts';
import { referenceRobot, sampleCalibration, tempDir } from './fixture.ts';

const robot = referenceRobot();
const problem = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof CalibrationError) return e;
    throw e;
  }
  throw new Error('expected a CalibrationError');
};

t.test('a matching calibration is returned', async (t) => {
  const file = path.join(tempDir(), 'reference.json');
  writeCalibration(file, sampleCalibration(robot));
  t.equal(requireCalibration(robot, file).joints.shoulder?.kind, 'dc');
});

t.test('missing: says which robot and what to run', async (t) => {
  const file = path.join(tempDir(), 'reference.json');
  const e = problem(() => requireCalibration(robot, file));
  t.equal(e.problem, 'missing');
  t.match(e.message, 'no calibration for robot reference');
  t.match(e.message, 'run `ganglion calibrate --auto` (emulated) or `ganglion calibrate`');
  t.notMatch(e.message, /\.\s+\S/, 'one sentence');
});

t.test('corrupt: names the field and refuses to arm', async (t) => {
  const file = path.join(tempDir(), 'reference.json');
  const raw = JSON.parse(JSON.stringify(sampleCalibration(robot)));
  raw.joints.elbow.invert_dir = 'yes';
  writeFileSync(file, JSON.stringify(raw));
  const e = problem(() => requireCalibration(robot, file));
  t.equal(e.problem, 'corrupt');
  t.match(e.message, 'joints.elbow.invert_dir');
  t.match(e.message, 'refusing to arm');
});

t.test('mismatched: another wiring (a pin moved) or another robot', async (t) => {
  const file = path.join(tempDir(), 'reference.json');
  writeCalibration(file, sampleCalibration(robot));
  const moved = structuredClone(robot);
  moved.nodes[1]!.motors[0]!.limit_neg = 'A4';
  t.not(wiringHash(moved), wiringHash(robot));
  const e = problem(() => requireCalibration(moved, file));
  t.equal(e.problem, 'mismatch');
  t.match(e.message, 'was made for another wiring of robot reference');
  t.match(e.message, 'recalibrate with `ganglion calibrate --auto`');

  const other = { ...structuredClone(robot), name: 'other' };
  t.match(problem(() => requireCalibration(other, file)).message, 'calibrates robot reference, not other');
});

t.test('the hash ignores what calibration does not depend on (gains, flags, ports, plant physics)', async (t) => {
  const tuned = structuredClone(robot);
  const m = tuned.nodes[1]!.motors[0]!;
  m.pid.kp_permille_per_count = 9;
  m.invert_dir = true;
  m.plant.initial_rad = 1;
  m.plant.coulomb_nm = 0.01;
  tuned.nodes[0]!.port = '/dev/ttyUSB0';
  tuned.description = 'retuned';
  t.equal(wiringHash(tuned), wiringHash(robot));
  const regeared = structuredClone(robot);
  regeared.nodes[1]!.motors[1]!.gear_ratio = 50;
  t.not(wiringHash(regeared), wiringHash(robot), 'gearing changes counts_per_rad');
  const restopped = structuredClone(robot);
  restopped.nodes[1]!.motors[1]!.plant.hard_stops_rad = [-2, 2];
  t.not(wiringHash(restopped), wiringHash(robot), 'hard stops are the zero reference');
});

t.test('a hand-edited file whose joint moved channel is a mismatch naming the joint', async (t) => {
  const file = path.join(tempDir(), 'reference.json');
  const cal = sampleCalibration(robot);
  cal.joints.elbow = { ...(cal.joints.elbow as Extract<typeof cal.joints.elbow, { kind: 'dc' }>), motor: 2 };
  writeCalibration(file, cal);
  t.match(problem(() => requireCalibration(robot, file)).message, /joints\.elbow: no dc entry for node arm channel 1/);
});

t.test('the calibrated wiring carries the measured flags and gains', async (t) => {
  const cal = sampleCalibration(robot);
  const arm = calibratedNode(robot.nodes[1]!, cal);
  t.equal(arm.motors[0]!.invert_encoder, true, 'shoulder: measured, the robot file says false');
  t.equal(arm.motors[1]!.invert_dir, true, 'elbow: measured, the robot file says false');
  t.equal(robot.nodes[1]!.motors[0]!.invert_encoder, false, 'the robot object is not changed');
});
