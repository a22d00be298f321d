// `ganglion calibrate --auto` end to end on the emulated reference robot, and the gate `ganglion run` uses before arming.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CalibrationError, loadCalibration } from '../../host/calibration/file.ts';
import { calibrationForRun } from '../../host/calibration/gate.ts';
import { referenceRobot, sampleCalibration, tempDir } from './fixture.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ganglion = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin/ganglion.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

t.test('calibrate is listed and refuses bad options clearly', async (t) => {
  t.match(ganglion('--help').stdout, /\n {2}calibrate /);
  const r = ganglion('calibrate', '--pwm', '5000');
  t.not(r.status, 0);
  t.match(r.stderr, /--pwm 5000: expected a whole number of permille from 20 to 600/);
  t.match(ganglion('calibrate', '--port', 'wrist=/dev/null', '--auto').stderr, /robot reference has no node "wrist"/);
});

t.test('the wizard refuses emulated nodes (no hands), pointing at --auto', async (t) => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/ganglion.js'), 'calibrate', '--out', path.join(tempDir(), 'x.json')], { cwd: ROOT, encoding: 'utf8', input: '', timeout: 60_000 });
  t.not(r.status, 0);
  t.match(r.stderr, /has no hands to move its joints: use `ganglion calibrate --auto`/);
});

t.test('--auto calibrates the emulated robot with a line per step and writes the file, keeping the old one', async (t) => {
  const out = path.join(tempDir(), 'reference.json');
  writeFileSync(out, JSON.stringify(sampleCalibration()));
  const r = ganglion('calibrate', '--auto', '--out', out);
  t.equal(r.status, 0, r.stderr);
  for (const re of [/\[1\/5\] wheel_left: direction pulse/, /\[4\/5\] shoulder: negative end: limit switch at -?\d+ counts/, /\[5\/5\] elbow: range 4\.\d+ rad .* zero_offset_counts -?\d+/, /wrote .*reference\.json \(5 joints/]) t.match(r.stdout, re);
  const cal = loadCalibration(out);
  t.same(Object.keys(cal.joints).sort(), ['elbow', 'gripper', 'shoulder', 'wheel_left', 'wheel_right']);
  // The reference robot powers up at shoulder 0.3 rad, elbow -0.2 rad (counts_per_rad 700.28).
  const sh = cal.joints.shoulder!;
  t.ok(sh.kind === 'dc' && Math.abs(sh.zero_offset_counts + 0.3 * sh.counts_per_rad) < 0.02 * sh.counts_per_rad, 'shoulder zero found');
  t.equal(loadCalibration(`${out}.bak`).created, sampleCalibration().created, 'the previous file is the .bak');
});

t.test('run gate: a real robot without calibration is refused; a simulated one calibrates itself once', async (t) => {
  const robot = referenceRobot();
  const file = path.join(tempDir(), 'reference.json');
  const e = await calibrationForRun(robot, { simulated: false, file }).catch((x: unknown) => x);
  t.ok(e instanceof CalibrationError && e.problem === 'missing');
  t.match((e as Error).message, 'no calibration for robot reference');
  t.notOk(existsSync(file));

  const lines: string[] = [];
  const cal = await calibrationForRun(robot, { simulated: true, file, log: (l) => lines.push(l) });
  t.match(lines[0], /none for robot reference yet; calibrating the emulated robot once/);
  t.match(lines.at(-1), /written to/);
  t.same(loadCalibration(file), cal);
  const again: string[] = [];
  await calibrationForRun(robot, { simulated: true, file, log: (l) => again.push(l) });
  t.same(again, [], 'the second run uses the file');
});

t.test('run gate: a corrupt file is refused even in simulation, and left for a human', async (t) => {
  const file = path.join(tempDir(), 'reference.json');
  writeFileSync(file, '{"version": 1}');
  const e = await calibrationForRun(referenceRobot(), { simulated: true, file }).catch((x: unknown) => x);
  t.ok(e instanceof CalibrationError && e.problem === 'corrupt');
  t.match((e as Error).message, /robot: /);
  t.equal(readFileSync(file, 'utf8'), '{"version": 1}');
});
