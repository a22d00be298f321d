// The LLM slow mind: the request it sends (tools, state summary as data), rejected replies sent back for repair a bounded number of times, then a clear error.
import t from 'tap';
import { readDataBlocks } from '../../host/planner/data-block.ts';
import { PlannerError } from '../../host/planner/slow-mind.ts';
import { llmRig, PICK_RED } from './helpers.ts';

const ctx = (rig: Awaited<ReturnType<typeof llmRig>>) => ({
  task: 'put the red block in the bin',
  reason: { kind: 'start' as const },
  snapshot: rig.robot.snapshot(),
  memory: [],
  results: new Map(),
  history: [],
});

t.test('the request: system prompt, the task, every skill as a tool, the state summary in a data block', async (t) => {
  const rig = await llmRig([{ tool_calls: PICK_RED }]);
  t.teardown(rig.close);
  rig.slow.reset('put the red block in the bin');
  const plan = await rig.slow.plan(ctx(rig));
  t.equal(plan.steps.length, 3);
  const body = rig.llm.requests[0]!.body;
  t.equal(body.model, 'scripted');
  t.same(body.messages.map((m) => m.role), ['system', 'user', 'user']);
  t.match(body.messages[0]!.content, /never an instruction/);
  t.equal(body.messages[1]!.content, 'Task: put the red block in the bin');
  t.same(body.tools!.map((x) => x.function.name), [...rig.robot.registry.names(), 'finish_task']);
  const data = readDataBlocks(body.messages[2]!.content!)[0] as { reason: string; state: { pose: unknown; held_id: unknown; objects: { id: string; label: string; distance_m: number }[] } };
  t.equal(data.reason, 'start');
  t.same(data.state.pose, { x_m: 0, y_m: 0, heading_rad: 0 });
  t.equal(data.state.held_id, null);
  t.same(data.state.objects.map((o) => o.id), ['b1', 'bin', 'b2'], 'nearest first');
  t.equal(data.state.objects[0]!.label, 'red block');
  t.equal(plan.timing.requests, 1);
  t.equal(plan.timing.rejected, 0);
});

t.test('broken replies go back to the LLM with the error, and a repaired reply is accepted', async (t) => {
  const rig = await llmRig([
    { tool_calls: [{ name: 'reach', arguments: '{"x_m": 0.6, "y_m": ' }, { name: 'home', arguments: {} }] },
    { tool_calls: [{ name: 'teleport', arguments: { x_m: 1 } }] },
    { tool_calls: [{ name: 'move_base', arguments: { distance_m: 50 } }] },
    { tool_calls: PICK_RED },
  ], { repair_attempts: 3 });
  t.teardown(rig.close);
  rig.slow.reset('t');
  const plan = await rig.slow.plan(ctx(rig));
  t.equal(plan.steps.length, 3, 'the fourth reply is the plan');
  t.equal(plan.timing.requests, 4);
  t.equal(plan.timing.rejected, 3);
  const second = rig.llm.requests[1]!.body.messages;
  const tools = second.filter((m) => m.role === 'tool');
  t.match(tools[0]!.content, /rejected: arguments are not valid JSON/);
  t.match(tools[1]!.content, /not run: the reply was rejected as a whole/);
  const echoed = second.find((m) => m.role === 'assistant') as { tool_calls: { function: { arguments: string } }[] };
  t.equal(echoed.tool_calls[0]!.function.arguments, '{}', 'malformed arguments are not echoed back verbatim');
  t.match(rig.llm.requests[2]!.body.messages.at(-2)!.content, /unknown skill "teleport"/);
  t.match(rig.llm.requests[3]!.body.messages.at(-2)!.content, /move_base": bad args: distance_m/);
  t.equal(rig.log.length, 3, 'each rejection is logged');
  t.match(rig.log[0], /LLM reply rejected \(1\/4\)/);
});

t.test('a flood of tool calls and an oversized reply: rejected without being echoed, then repaired', async (t) => {
  const rig = await llmRig([
    { tool_calls: Array.from({ length: 300 }, () => ({ name: 'home', arguments: {} })) },
    { content: 'x', pad_bytes: 400_000 },
    { tool_calls: PICK_RED },
  ], { repair_attempts: 2, config: { max_reply_bytes: 200_000 } });
  t.teardown(rig.close);
  rig.slow.reset('t');
  const plan = await rig.slow.plan(ctx(rig));
  t.equal(plan.steps.length, 3);
  const second = rig.llm.requests[1]!.body.messages;
  t.notOk(second.some((m) => m.role === 'assistant'), 'the flood is not put back into the context');
  t.match(second.at(-1)!.content, /300 tool calls; at most 16/);
  t.match(rig.llm.requests[2]!.body.messages.at(-1)!.content, /exceeded 200000 bytes/);
  t.ok(rig.llm.requests[2]!.raw.length < 50_000, 'the oversized reply is not in the next request');
});

t.test('repairs are bounded: after the last attempt the planner gets a clear error', async (t) => {
  const bad = { tool_calls: [{ name: 'teleport', arguments: {} }] };
  const rig = await llmRig([bad, bad, bad, bad], { repair_attempts: 2 });
  t.teardown(rig.close);
  rig.slow.reset('t');
  const e = await rig.slow.plan(ctx(rig)).catch((x: unknown) => x);
  t.type(e, PlannerError);
  t.match((e as Error).message, /no valid plan in 3 replies; last: call .*unknown skill "teleport"/);
  t.equal(rig.llm.requests.length, 3);
});

t.test('an unreachable LLM is a PlannerError naming the cause', async (t) => {
  const rig = await llmRig([{ status: 500 }, { status: 500 }], { config: { retries: 1 } });
  t.teardown(rig.close);
  rig.slow.reset('t');
  const e = await rig.slow.plan(ctx(rig)).catch((x: unknown) => x);
  t.type(e, PlannerError);
  t.match((e as Error).message, /could not be asked: HTTP 500/);
});

t.test('the next request answers every tool call of the previous reply, by id, as data', async (t) => {
  const rig = await llmRig([{ tool_calls: PICK_RED }, { tool_calls: [{ name: 'home', arguments: {} }] }]);
  t.teardown(rig.close);
  rig.slow.reset('t');
  const p = await rig.slow.plan(ctx(rig));
  const ids = p.steps.map((s) => s.candidates[0]!.id);
  const results = new Map([[ids[0]!, { status: 'done' as const }], [ids[1]!, { status: 'failed' as const, reason: 'reach target out of reach' }]]);
  await rig.slow.plan({ ...ctx(rig), reason: { kind: 'step_failed', skill: 'reach', state: 'failed', reason: 'reach target out of reach' }, results });
  const tools = rig.llm.requests[1]!.body.messages.filter((m) => m.role === 'tool');
  t.same(tools.map((m) => m.tool_call_id), ids);
  t.same(tools.map((m) => (readDataBlocks(m.content!)[0] as { status: string }).status), ['done', 'failed', 'not_reached']);
});
