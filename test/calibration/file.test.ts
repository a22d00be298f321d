// Calibration file: zod validation naming the field, version handling, atomic write with .bak, crash leftovers.
import t from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CalibrationError, loadCalibration, parseCalibration, staleTempFiles, writeCalibration } from '../../host/calibration/file.ts';
import { sampleCalibration, tempDir } from './fixture.ts';

t.test('a written calibration reads back equal, and the file is plain JSON', async (t) => {
  const file = path.join(tempDir(), 'reference.json');
  const cal = sampleCalibration();
  writeCalibration(file, cal);
  t.same(loadCalibration(file), cal);
  t.equal(JSON.parse(readFileSync(file, 'utf8')).version, 1);
  t.notOk(existsSync(`${file}.bak`), 'no .bak for a first write');
  t.same(staleTempFiles(file), [], 'no temp file left behind');
});

t.test('rewriting keeps the previous file as .bak', async (t) => {
  const file = path.join(tempDir(), 'reference.json');
  const first = sampleCalibration();
  writeCalibration(file, first);
  const second = { ...sampleCalibration(), created: '2025-02-02T00:00:00.000Z' };
  writeCalibration(file, second);
  t.equal(loadCalibration(file).created, second.created);
  t.equal(loadCalibration(`${file}.bak`).created, first.created);
});

t.test('a crash mid-write (a half-written temp file) leaves the old file intact; the next write cleans up', async (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'reference.json');
  const cal = sampleCalibration();
  writeCalibration(file, cal);
  const before = readFileSync(file, 'utf8');
  // What a process killed between write and rename leaves: a truncated temp file beside the real one.
  const tmp = path.join(dir, '.reference.json.tmp-99999-crash');
  writeFileSync(tmp, before.slice(0, 100));
  t.equal(readFileSync(file, 'utf8'), before, 'the real file is untouched');
  t.same(loadCalibration(file), cal, 'and still loads');
  t.same(staleTempFiles(file), [tmp]);
  writeCalibration(file, { ...cal, created: '2025-03-03T00:00:00.000Z' });
  t.same(staleTempFiles(file), [], 'the next write removed the leftover');
});

t.test('an invalid calibration is refused before anything on disk changes', async (t) => {
  const file = path.join(tempDir(), 'reference.json');
  writeCalibration(file, sampleCalibration());
  const before = readFileSync(file, 'utf8');
  const bad = sampleCalibration();
  (bad.joints.shoulder as { counts_per_rad: number }).counts_per_rad = -3;
  t.throws(() => writeCalibration(file, bad), /joints\.shoulder\.counts_per_rad/);
  t.equal(readFileSync(file, 'utf8'), before);
  t.notOk(existsSync(`${file}.bak`));
  t.same(staleTempFiles(file), []);
});

t.test('a corrupt file is refused with the field named, and nothing is lost', async (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'reference.json');
  const raw = JSON.parse(JSON.stringify(sampleCalibration()));
  raw.joints.shoulder.zero_offset_counts = 'twelve';
  writeFileSync(file, JSON.stringify(raw));
  const err = t.throws(() => loadCalibration(file)) as CalibrationError;
  t.equal(err.problem, 'corrupt');
  t.match(err.message, /joints\.shoulder\.zero_offset_counts/);
  t.equal(JSON.parse(readFileSync(file, 'utf8')).joints.shoulder.zero_offset_counts, 'twelve', 'the file is left as it was');

  writeFileSync(file, '{"version": 1, "robot": "refer');
  t.match((t.throws(() => loadCalibration(file)) as Error).message, /not valid JSON/);
  const missingField = JSON.parse(JSON.stringify(sampleCalibration()));
  delete missingField.joints.gripper.us_per_rad;
  t.throws(() => parseCalibration(missingField, 'x.json'), /joints\.gripper\.us_per_rad/);
  const flipped = JSON.parse(JSON.stringify(sampleCalibration()));
  flipped.joints.shoulder.soft_limits_rad = [1.5, -1.5];
  t.throws(() => parseCalibration(flipped, 'x.json'), /joints\.shoulder\.soft_limits_rad: min must be below max/);
});

t.test('versions: a newer file is refused, an older one without a migration asks for recalibration', async (t) => {
  const newer = { ...sampleCalibration(), version: 2 };
  const e1 = t.throws(() => parseCalibration(newer, 'c.json')) as CalibrationError;
  t.equal(e1.problem, 'version');
  t.match(e1.message, /version 2, newer than this ganglion reads \(1\)/);
  const older = { ...sampleCalibration(), version: 0 };
  t.match((t.throws(() => parseCalibration(older, 'c.json')) as Error).message, /version 0, which cannot be upgraded to 1: recalibrate/);
  const none = { ...sampleCalibration(), version: undefined };
  t.match((t.throws(() => parseCalibration(none, 'c.json')) as Error).message, /version: expected an integer/);
});

t.test('a missing file is its own kind of error', async (t) => {
  const err = t.throws(() => loadCalibration(path.join(tempDir(), 'nope.json'))) as CalibrationError;
  t.equal(err.problem, 'missing');
});
