// Every LLM reply is checked before anything runs: unknown skills, malformed JSON, out-of-range args (the skill's own zod schema), floods, oversized text.
import t from 'tap';
import { createRegistry } from '../../host/skills/registry.ts';
import { plannerTools, FINISH_TOOL } from '../../host/planner/tools.ts';
import { DEFAULT_LIMITS, validateReply } from '../../host/planner/validate.ts';
import type { AssistantReply } from '../../host/planner/wire.ts';

const registry = createRegistry();
const offered = new Set(registry.names());
const reply = (calls: [string, unknown][], content: string | null = null): AssistantReply => ({
  content,
  tool_calls: calls.map(([name, args], i) => ({ id: `c${i}`, name, arguments: typeof args === 'string' ? args : JSON.stringify(args) })),
  finish_reason: 'tool_calls',
  bytes: 0,
});
const check = (r: AssistantReply) => validateReply(r, registry, offered);

t.test('every skill is a tool with its own JSON Schema plus the planning fields; finish_task too', (t) => {
  const tools = plannerTools(registry);
  t.same(tools.map((x) => x.function.name), [...registry.names(), FINISH_TOOL]);
  const drive = tools.find((x) => x.function.name === 'drive_to')!.function.parameters as { properties: Record<string, { maximum?: number }>; required?: string[] };
  t.equal(drive.properties.x_m?.maximum, 10, 'the skill schema bounds are in the tool');
  t.ok(drive.properties.plan_step && drive.properties.preference, 'planning fields are offered');
  t.same(drive.required, ['x_m', 'y_m']);
  t.same(plannerTools(registry, ['drive_to']).map((x) => x.function.name), ['drive_to', FINISH_TOOL], 'only the offered skills');
  t.end();
});

t.test('a valid plan: steps in order, alternatives grouped by plan_step and sorted by preference, defaults filled', (t) => {
  const v = check(
    reply([
      ['reach', { x_m: 0.5, y_m: 0.2, plan_step: 1, preference: 0.3 }],
      ['drive_to', { x_m: 0.5, y_m: 0.2, standoff_m: 0.24, plan_step: 1, preference: 0.7 }],
      ['grasp', { object_id: 'b1' }],
      ['drive_to', { x_m: 1, y_m: 1 }],
      [FINISH_TOOL, { success: true, message: 'done' }],
    ], 'Picking b1.'),
  );
  if (!v.ok) throw new Error(JSON.stringify(v));
  t.equal(v.steps.length, 3);
  t.same(v.steps[0]!.candidates.map((c) => [c.skill, c.preference]), [['drive_to', 0.7], ['reach', 0.3]]);
  t.same(v.steps[1]!.candidates[0]!.args, { object_id: 'b1' });
  t.same(v.steps[2]!.candidates[0]!.args, { x_m: 1, y_m: 1, standoff_m: 0 }, 'the zod default is filled, planning fields stripped');
  t.same(v.finish, { success: true, message: 'done' });
  t.equal(v.message, 'Picking b1.');
  t.end();
});

t.test('rejections name the call and the problem; one bad call rejects the whole reply', (t) => {
  const cases: [string, [string, unknown][], RegExp][] = [
    ['unknown skill', [['fly', { altitude_m: 3 }]], /unknown skill "fly"; the skills are: move_base, turn/],
    ['malformed JSON', [['reach', '{"x_m": 0.3, "y_m": ']], /not valid JSON/],
    ['out of range', [['move_base', { distance_m: 50 }]], /skill "move_base": bad args: distance_m: .*2/],
    ['wrong type', [['drive_to', { x_m: 'far', y_m: 0 }]], /bad args: x_m/],
    ['unknown arg (a speed the skills do not take)', [['drive_to', { x_m: 1, y_m: 0, speed_mps: 10 }]], /bad args: .*unrecognized|speed_mps/i],
    ['not an object', [['home', '[1,2]']], /must be a JSON object/],
    ['bad preference', [['home', { preference: 3 }]], /planning field: preference/],
    ['steps out of order', [['home', { plan_step: 3 }], ['release', { plan_step: 1 }]], /plan_step 1 comes after step 3/],
    ['finish without message', [[FINISH_TOOL, { success: true }]], /message/],
    ['huge arguments', [['grasp', { object_id: 'x'.repeat(5000) }]], /arguments are \d+ bytes; at most 4096/],
  ];
  for (const [what, calls, re] of cases) {
    const v = check(reply([['home', {}], ...calls]));
    t.notOk(v.ok, what);
    if (!v.ok) {
      t.equal(v.call_errors.length, 1, `${what}: exactly the bad call is named`);
      t.match(v.call_errors[0]?.error, re, what);
    }
  }
  t.end();
});

t.test('whole-reply rejections: a flood of tool calls, an oversized text, an empty reply, too many alternatives', (t) => {
  const flood = check(reply(Array.from({ length: 500 }, () => ['home', {}] as [string, unknown])));
  t.notOk(flood.ok);
  if (!flood.ok) t.match(flood.errors[0], new RegExp(`500 tool calls; at most ${DEFAULT_LIMITS.max_tool_calls}`));
  const long = check(reply([], 'blah '.repeat(2000)));
  t.notOk(long.ok);
  if (!long.ok) t.match(long.errors[0], /characters; at most 4000/);
  const empty = check(reply([], '  '));
  t.notOk(empty.ok);
  if (!empty.ok) t.match(empty.errors[0], /empty/);
  const alts = check(reply(Array.from({ length: 5 }, () => ['home', { plan_step: 1 }] as [string, unknown])));
  t.notOk(alts.ok);
  if (!alts.ok) t.match(alts.errors[0], /step 1 has 5 alternatives/);
  t.end();
});

t.test('a skill the robot does not offer is unknown even if registered', (t) => {
  const v = validateReply(reply([['turn', { angle_rad: 1 }]]), registry, new Set(['home']));
  t.notOk(v.ok);
  t.end();
});
