// A corrupt or truncated calibration, users or memory file: a clear error naming the file and the fix, and the previous good file intact.
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCalibration, writeCalibration } from '../../host/calibration/file.ts';
import { addUser, loadUsers } from '../../host/bridge/users.ts';
import { ensureUsers } from '../../host/cli/services.ts';
import { MemoryStore } from '../../host/planner/memory.ts';
import { sampleCalibration } from '../calibration/fixture.ts';

function dir(t: Test): string {
  const d = mkdtempSync(path.join(tmpdir(), 'ganglion-corrupt-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
const FAST = { scrypt: { N: 1024 }, pbkdf2_iterations: 1000 };

t.test('calibration: a truncated file names itself and the .bak fix; a new write keeps the good .bak', async (t) => {
  const file = path.join(dir(t), 'reference.json');
  const good = sampleCalibration();
  writeCalibration(file, good);
  writeCalibration(file, { ...good, created: '2025-02-02T00:00:00.000Z' });
  const bakBefore = readFileSync(`${file}.bak`, 'utf8');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.slice(0, Math.floor(text.length / 2))); // a power cut under a non-atomic editor
  const e = t.throws(() => loadCalibration(file)) as Error;
  t.match(e.message, `${file} is not valid JSON`, 'names the file');
  t.match(e.message, `cp ${file}.bak ${file}`, 'and the fix: the .bak, by its path');
  t.match(e.message, 'ganglion calibrate', 'or recalibrate');
  // Recalibrating over the corrupt file must not push the corrupt bytes into the .bak.
  writeCalibration(file, { ...good, created: '2025-03-03T00:00:00.000Z' });
  t.equal(readFileSync(`${file}.bak`, 'utf8'), bakBefore, 'the last good .bak is intact');
  t.equal(loadCalibration(`${file}.bak`).created, good.created);
  t.equal(loadCalibration(file).created, '2025-03-03T00:00:00.000Z');
});

t.test('calibration: a valid-JSON file with a bad field names the field and the fix; without a .bak, recalibrate', async (t) => {
  const file = path.join(dir(t), 'reference.json');
  const raw = JSON.parse(JSON.stringify(sampleCalibration()));
  raw.joints.elbow.counts_per_rad = 'x';
  writeFileSync(file, JSON.stringify(raw));
  const e = t.throws(() => loadCalibration(file)) as Error;
  t.match(e.message, `${file} is not a valid calibration: joints.elbow.counts_per_rad`);
  t.match(e.message, /recalibrate with `ganglion calibrate`$/);
  t.notMatch(e.message, '.bak', 'no .bak offered when there is none');
});

t.test('users: a truncated file names itself and the fix; nothing rewrites it', async (t) => {
  const file = path.join(dir(t), 'users.json');
  await addUser(file, 'alice', 'operator', 'pw-alice-1', FAST);
  await addUser(file, 'bob', 'viewer', 'pw-bob-12', FAST);
  const text = readFileSync(file, 'utf8');
  const torn = text.slice(0, text.length - 40);
  writeFileSync(file, torn);
  const e = t.throws(() => loadUsers(file)) as Error;
  t.match(e.message, `${file}: the users file is not JSON`);
  t.match(e.message, `--users ${file} --add-user`, 'the fix names the command');
  await t.rejects(addUser(file, 'carol', 'viewer', 'pw-carol-1', FAST), { message: new RegExp(`^${file}: the users file is not JSON`) }, 'adding a user refuses');
  const credentials = path.join(path.dirname(file), 'credentials.txt');
  await t.rejects(ensureUsers(file, () => {}), { message: /the users file is not JSON/ }, 'npm start refuses rather than making new users');
  t.equal(readFileSync(file, 'utf8'), torn, 'the file is left exactly as it was (alice and bob are still in it, for a hand fix)');
  t.notOk(existsSync(credentials), 'no new credentials were generated over it');

  const bad = JSON.parse(text);
  bad.users[1].role = 'admin';
  writeFileSync(file, JSON.stringify(bad));
  const e2 = t.throws(() => loadUsers(file)) as Error;
  t.match(e2.message, `${file}: users.1.role`, 'a bad field is named');
  t.match(e2.message, 'mv ');
});

t.test('memory: a truncated last line is named with the fix, kept, and every good entry survives the next write', async (t) => {
  const file = path.join(dir(t), 'memory.jsonl');
  const problems: string[] = [];
  const store = new MemoryStore(file, (p) => problems.push(p));
  const base = { source: 'operator', task: 'put blocks in the bin', skill: 'reach' };
  const a = store.add({ ...base, phrase: 'a bit left' });
  const b = store.add({ ...base, phrase: 'slower' });
  const text = readFileSync(file, 'utf8');
  const torn = text.slice(0, text.length - 30); // the second entry's line cut off, no newline
  writeFileSync(file, torn);
  t.same(store.list().map((e) => e.id), [a.id], 'the good entry is read');
  t.equal(problems.length, 1, 'the problem is reported once');
  t.match(problems[0], `${file}: line 2 is not a valid memory entry`);
  t.match(problems[0], 'fix or delete it');
  store.list();
  t.equal(problems.length, 1, 'not again while nothing changed');
  const c = store.add({ ...base, phrase: 'higher' });
  t.same(store.list().map((e) => e.id), [a.id, c.id], 'the new entry went in beside the good one');
  t.ok(readFileSync(file, 'utf8').includes(torn.split('\n')[1]!), 'the torn line is kept for a human, not dropped');
  t.not(b.id, c.id);
});
