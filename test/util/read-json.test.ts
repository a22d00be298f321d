// readJsonFile: each way a JSON file can be bad gives a JsonFileError naming the file, the field and the fix; a good file comes back validated.
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { JsonFileError, readJsonFile } from '../../host/util/read-json.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'ganglion-read-json-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const Schema = z.strictObject({ rate_hz: z.number().positive(), name: z.string().default('x') });
const fix = { fix: 'edit it', ifMissing: 'create it' };
const fault = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as JsonFileError;
  }
  throw new Error('did not throw');
};

t.test('a good file: parsed, validated, defaults applied', async (t) => {
  const file = path.join(dir, 'good.json');
  writeFileSync(file, '{"rate_hz": 50}');
  t.same(readJsonFile(file, Schema, fix), { rate_hz: 50, name: 'x' });
});

t.test('missing, unreadable, not JSON, a bad field: each named, with its fix', async (t) => {
  const missing = fault(() => readJsonFile(path.join(dir, 'none.json'), Schema, fix));
  t.equal(missing.fault, 'missing');
  t.equal(missing.message, `${path.join(dir, 'none.json')} is missing: create it`);
  const folder = path.join(dir, 'folder.json');
  mkdirSync(folder);
  const unreadable = fault(() => readJsonFile(folder, Schema, fix));
  t.equal(unreadable.fault, 'unreadable');
  t.equal(unreadable.message, `${folder} cannot be read (EISDIR): edit it`);
  const torn = path.join(dir, 'torn.json');
  writeFileSync(torn, '{"rate_hz": 5');
  const notJson = fault(() => readJsonFile(torn, Schema, fix));
  t.equal(notJson.fault, 'not_json');
  t.match(notJson.message, new RegExp(`^${torn} is corrupt: not valid JSON \\(.+\\): edit it$`));
  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, '{"rate_hz": -1}');
  const invalid = fault(() => readJsonFile(bad, Schema, fix));
  t.equal(invalid.fault, 'invalid');
  t.match(invalid.message, new RegExp(`^${bad}: rate_hz: .+: edit it$`));
});

t.test("a caller's own wording replaces the default, and the fix still follows", async (t) => {
  const bad = path.join(dir, 'bad2.json');
  writeFileSync(bad, '[]');
  const e = fault(() => readJsonFile(bad, Schema, { say: { invalid: (f, field) => `${f} is not a config: ${field}` }, fix: () => 'computed fix' }));
  t.match(e.message, new RegExp(`^${bad} is not a config: \\(root\\): .+: computed fix$`));
});
