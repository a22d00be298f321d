// The skill registry: JSON Schema export for tool calling, zod arg validation that names the field, package loading that survives broken packages.
import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRegistry, loadSkillPackages } from '../../host/skills/registry.ts';
import { wait } from '../../host/skills/builtin/idle.ts';

const PACKAGES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'packages');

t.test('tools: name, description and a JSON Schema per skill', (t) => {
  const tools = createRegistry().tools();
  const drive = tools.find((x) => x.name === 'drive_to')!;
  t.match(drive.description, /standoff_m/);
  t.match(drive.parameters, {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { x_m: { type: 'number', minimum: -10, maximum: 10 }, y_m: { type: 'number' }, standoff_m: { type: 'number', default: 0 } },
    required: ['x_m', 'y_m'],
    additionalProperties: false,
  });
  t.notOk((drive.parameters.required as string[]).includes('standoff_m'), 'a defaulted arg is optional for the caller');
  t.match(tools.find((x) => x.name === 'grasp')!.parameters, { properties: { object_id: { type: 'string' } } });
  t.same(JSON.parse(JSON.stringify(tools)), tools, 'plain JSON all the way down');
  t.end();
});

t.test('args are validated with zod; the error names the skill and the field', (t) => {
  const r = createRegistry();
  t.same(r.parseArgs('drive_to', { x_m: 1, y_m: 2 }), { x_m: 1, y_m: 2, standoff_m: 0 }, 'defaults filled in');
  t.throws(() => r.parseArgs('drive_to', { x_m: 'far', y_m: 2 }), /skill "drive_to": bad args: x_m: .*number/);
  t.throws(() => r.parseArgs('turn', { angle_rad: 1, speed: 2 }), /skill "turn": bad args: .*speed/);
  t.throws(() => r.parseArgs('wait', { seconds: -1 }), /skill "wait": bad args: seconds/);
  t.throws(() => r.parseArgs('fly', {}), /unknown skill "fly"; registered: move_base, turn, drive_to/);
  t.throws(() => r.register(wait), /"wait" .*already registered/);
  t.end();
});

t.test('packages load from a folder; each broken one is reported and skipped, the others still load', async (t) => {
  const r = createRegistry();
  const report = await loadSkillPackages(r, PACKAGES);
  t.same(report.loaded.map((l) => [path.basename(l.file), l.skills]), [['a-good.ts', ['wave']]]);
  const errors = Object.fromEntries(report.errors.map((e) => [path.basename(e.file), e.error]));
  t.same(Object.keys(errors).sort(), ['b-syntax-error.js', 'c-throws.ts', 'd-bad-shape.ts', 'e-duplicate.ts', 'f-nothing.ts']);
  t.match(errors['b-syntax-error.js'], /skill package b-syntax-error\.js failed to load/);
  t.match(errors['c-throws.ts'], /failed to load: this package cannot find its calibration file/);
  t.match(errors['d-bad-shape.ts'], /skill "Bad Name" from d-bad-shape\.ts: name: a skill name is/);
  t.match(errors['e-duplicate.ts'], /skill "wait" from e-duplicate\.ts: the name is already registered/);
  t.match(errors['f-nothing.ts'], /exports no skills/);
  t.ok(r.has('wave'));
  t.match(r.tools().find((x) => x.name === 'wave')!.parameters, { properties: { times: { type: 'integer' } } });
  t.throws(() => r.parseArgs('wave', { times: 9 }), /skill "wave": bad args: times/);
  const missing = await loadSkillPackages(createRegistry(), path.join(PACKAGES, 'nope'));
  t.match(missing.errors[0]!.error, /cannot read the skill package folder/);
});
