// The fast mind on the kinematic robot: SayCan grounding, infeasible steps not run, replans on failure / correction / a changed world, cancellation, budgets.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { readDataBlocks } from '../../host/planner/data-block.ts';
import { MemoryStore } from '../../host/planner/memory.ts';
import { Planner, type PlannerEvent } from '../../host/planner/planner.ts';
import { blockState, FINISH_OK, llmRig, PICK_RED, PLACE } from './helpers.ts';

const lastData = (content: string | null) => readDataBlocks(content ?? '').at(-1) as { reason: string; details?: Record<string, unknown>; state: { remembered_corrections: unknown[] } };
const userMessages = (rig: Awaited<ReturnType<typeof llmRig>>, i: number) => rig.llm.requests[i]!.body.messages.filter((m) => m.role === 'user');

t.test('SayCan: the preferred but infeasible candidate is passed over for the feasible one; the task completes', async (t) => {
  const rig = await llmRig([
    {
      tool_calls: [
        { name: 'grasp', arguments: { object_id: 'b1', plan_step: 1, preference: 0.8 } },
        { name: 'drive_to', arguments: { x_m: 0.6, y_m: 0, standoff_m: 0.24, plan_step: 1, preference: 0.2 } },
        ...PICK_RED.slice(1),
        ...PLACE,
        FINISH_OK,
      ],
    },
  ]);
  t.teardown(rig.close);
  const events: PlannerEvent[] = [];
  const r = await new Planner({ robot: rig.robot, slow: rig.slow, onEvent: (e) => events.push(e) }).run('put the red block in the bin');
  t.equal(r.outcome, 'done', r.message);
  t.equal(blockState(rig.robot, 'b1'), 'in_bin');
  t.equal(rig.llm.requests.length, 1, 'one LLM request: the fast mind ran the whole plan');
  const g = events.find((e) => e.type === 'grounding') as Extract<PlannerEvent, { type: 'grounding' }>;
  t.same(g.scored.map((s) => [s.skill, s.preference, s.affordance.value, s.score]), [['grasp', 0.8, 0, 0], ['drive_to', 0.2, 1, 0.2]]);
  t.match(g.scored[0]!.affordance.reason, /out of the arm's reach|not in reach|reach/);
  t.equal(g.chosen?.skill, 'drive_to');
  t.same(rig.robot.runs.map((x) => x.skill), ['drive_to', 'reach', 'grasp', 'drive_to', 'reach', 'release'], 'the grasp was never started');
  t.equal(r.overhead_ms.length, 6);
});

t.test('a step with no feasible candidate is not run; the user and the LLM are told why', async (t) => {
  const rig = await llmRig([
    { tool_calls: [{ name: 'grasp', arguments: { object_id: 'b1' } }, { name: 'release', arguments: {} }] },
    { tool_calls: [{ name: 'finish_task', arguments: { success: false, message: 'cannot reach it' } }] },
  ]);
  t.teardown(rig.close);
  const events: PlannerEvent[] = [];
  const r = await new Planner({ robot: rig.robot, slow: rig.slow, onEvent: (e) => events.push(e) }).run('pick the red block');
  t.equal(r.outcome, 'failed');
  t.equal(r.model_message, 'cannot reach it', "the model's reason, as its output");
  t.equal(r.message, 'the planner reported that the task cannot be done');
  t.equal(r.infeasible_steps, 1);
  t.same(rig.robot.runs, [], 'nothing ran');
  const inf = events.find((e) => e.type === 'infeasible') as Extract<PlannerEvent, { type: 'infeasible' }>;
  t.match(inf.reasons[0], /grasp \{"object_id":"b1"\}: block "b1": .*out of the arm's reach/);
  const second = rig.llm.requests[1]!.body.messages;
  const results = second.filter((m) => m.role === 'tool').map((m) => readDataBlocks(m.content!)[0] as { status: string; reason?: string });
  t.same(results.map((x) => x.status), ['infeasible', 'not_reached']);
  t.match(results[0]!.reason, /out of the arm's reach/);
  const d = lastData(second.at(-1)!.content);
  t.equal(d.reason, 'infeasible');
  t.match(JSON.stringify(d.details), /out of the arm's reach/);
});

t.test('without grounding the most preferred candidate is tried; the robot refuses it and the planner replans', async (t) => {
  const rig = await llmRig([
    { tool_calls: [{ name: 'grasp', arguments: { object_id: 'b1', plan_step: 1, preference: 0.8 } }, { name: 'drive_to', arguments: { x_m: 0.6, y_m: 0, standoff_m: 0.24, plan_step: 1, preference: 0.2 } }] },
    { tool_calls: [{ name: 'drive_to', arguments: { x_m: 0.6, y_m: 0, standoff_m: 0.24 } }, FINISH_OK] },
  ]);
  t.teardown(rig.close);
  const r = await new Planner({ robot: rig.robot, slow: rig.slow, grounding: false }).run('go to the red block');
  t.equal(r.outcome, 'done');
  t.same(rig.robot.runs.map((x) => [x.skill, x.state]), [['grasp', 'refused'], ['drive_to', 'done']]);
  t.same(r.steps.map((s) => s.state), ['refused', 'done']);
  const d = lastData(userMessages(rig, 1).at(-1)!.content);
  t.equal(d.reason, 'step_failed');
  t.match(JSON.stringify(d.details), /affordance 0/);
});

t.test('a correction while a step runs: the step keeps running, the slow mind replans meanwhile, memory keeps it with its outcome', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ganglion-planner-'));
  const memory = new MemoryStore(path.join(dir, 'memory.jsonl'));
  let activeDuringReplan: string | null | undefined;
  const rig = await llmRig((_req, i) => {
    if (i === 0) return { tool_calls: [PICK_RED[0]!, ...PICK_RED.slice(1)] };
    activeDuringReplan = rig.robot.snapshot().active_skill?.skill ?? null;
    return { tool_calls: [...PICK_RED.slice(1), ...PLACE, FINISH_OK] };
  });
  t.teardown(rig.close);
  let corrected = false;
  const r = await new Planner({
    robot: rig.robot,
    slow: rig.slow,
    memory,
    onEvent: (e) => {
      if (e.type === 'step_start' && !corrected) {
        corrected = true;
        setImmediate(() => void rig.robot.correct('a bit slower', 'alice'));
      }
    },
  }).run('put the red block in the bin');
  t.equal(r.outcome, 'done', r.message);
  t.equal(blockState(rig.robot, 'b1'), 'in_bin');
  t.equal(activeDuringReplan, 'drive_to', 'the LLM was asked while drive_to kept running');
  t.same(rig.robot.runs.map((x) => [x.skill, x.state]).slice(0, 2), [['drive_to', 'done'], ['reach', 'done']], 'the corrected step was not cancelled');
  const d = lastData(userMessages(rig, 1).at(-1)!.content);
  t.equal(d.reason, 'correction');
  t.same(d.details, { phrase: 'a bit slower' });
  const running = rig.llm.requests[1]!.body.messages.filter((m) => m.role === 'tool').map((m) => readDataBlocks(m.content!)[0] as { status: string });
  t.equal(running[0]!.status, 'running');
  const [m] = memory.list();
  t.equal(memory.list().length, 1);
  t.same([m!.source, m!.phrase, m!.task, m!.skill, m!.outcome], ['alice', 'a bit slower', 'put the red block in the bin', 'drive_to', { step: 'done', task: 'done' }]);
  t.same(m!.correction, { type: 'speed', factor: 0.75 });
});

t.test('the world changes under the plan (a block is moved): the rest is not run blind, the slow mind replans', async (t) => {
  const rig = await llmRig([{ tool_calls: PICK_RED }, { tool_calls: [FINISH_OK] }]);
  t.teardown(rig.close);
  const r = await new Planner({
    robot: rig.robot,
    slow: rig.slow,
    onEvent: (e) => {
      if (e.type === 'step_end' && e.skill === 'drive_to') {
        const w = rig.robot.harness.robot.world;
        rig.robot.harness.robot.world = { ...w, blocks: w.blocks.map((b) => (b.id === 'b1' ? { ...b, x_m: b.x_m + 0.2 } : b)) };
      }
    },
  }).run('pick the red block');
  // The scripted model claims success after the replan although nothing is held: the claim is checked and refused.
  t.equal(r.outcome, 'failed');
  t.match(r.message, /claimed success, but b1 is not held/);
  t.same(rig.robot.runs.map((x) => x.skill), ['drive_to']);
  const d = lastData(userMessages(rig, 1).at(-1)!.content);
  t.equal(d.reason, 'world_changed');
  t.match(JSON.stringify(d.details), /object \\"b1\\" moved 0\.200 m/);
});

t.test('cancellation stops the running skill and ends the task as cancelled', async (t) => {
  const rig = await llmRig([{ tool_calls: [{ name: 'wait', arguments: { seconds: 500 } }] }]);
  t.teardown(rig.close);
  const ctrl = new AbortController();
  const r = await new Planner({
    robot: rig.robot,
    slow: rig.slow,
    onEvent: (e) => {
      if (e.type === 'step_start') setTimeout(() => ctrl.abort(), 30);
    },
  }).run('wait', { signal: ctrl.signal });
  t.equal(r.outcome, 'cancelled');
  t.equal(rig.robot.runs[0]?.state, 'cancelled');
});

t.test('the same step ending the same way three times ends the task, without waiting for max_plans', async (t) => {
  // The model keeps proposing drive_to + reach to the red block; the arm's reach times out every time (as against an
  // arm held at its limit switch in the soak): the planner gives up on the third identical failure.
  const rig = await llmRig(() => ({ tool_calls: PICK_RED.slice(0, 2) }));
  t.teardown(rig.close);
  const run = rig.robot.runSkill.bind(rig.robot);
  rig.robot.runSkill = async (skill, args) => (skill === 'reach' ? { state: 'timeout', reason: 'no result within 9.0 s', elapsed_s: 9 } as Awaited<ReturnType<typeof run>> : run(skill, args));
  const r = await new Planner({ robot: rig.robot, slow: rig.slow, max_plans: 20 }).run('pick the red block');
  t.equal(r.outcome, 'failed');
  t.match(r.message, /reach \{"x_m":0\.6,"y_m":0\} ended timeout 3 times \(no result within 9\.0 s\)/);
  t.equal(r.steps.filter((s) => s.skill === 'reach').length, 3, 'three reaches, not twenty');
  t.equal(r.plans, 3);
});

t.test('budgets: a slow mind that keeps proposing the impossible is given up on after max_plans', async (t) => {
  const rig = await llmRig(() => ({ tool_calls: [{ name: 'grasp', arguments: { object_id: 'b1' } }] }));
  t.teardown(rig.close);
  const r = await new Planner({ robot: rig.robot, slow: rig.slow, max_plans: 4 }).run('pick the red block');
  t.equal(r.outcome, 'failed');
  t.match(r.message, /gave up after 4 plans/);
  t.equal(rig.llm.requests.length, 4);
  t.same(rig.robot.runs, []);
});

t.test('a slow mind that never produces a valid plan ends the task as failed, with the reason', async (t) => {
  const rig = await llmRig(() => ({ tool_calls: [{ name: 'self_destruct', arguments: {} }] }), { repair_attempts: 1 });
  t.teardown(rig.close);
  const r = await new Planner({ robot: rig.robot, slow: rig.slow }).run('do it');
  t.equal(r.outcome, 'failed');
  t.match(r.message, /no valid plan in 2 replies/);
  t.equal(r.rejected_replies, 2);
  t.same(rig.robot.runs, []);
});

t.test('a reply without tool calls ends the task as stopped, with the model\'s words', async (t) => {
  const rig = await llmRig([{ content: 'Which red block do you mean?' }]);
  t.teardown(rig.close);
  const r = await new Planner({ robot: rig.robot, slow: rig.slow }).run('pick the red block');
  t.equal(r.outcome, 'stopped');
  t.equal(r.model_message, 'Which red block do you mean?', "the model's words, as its output");
  t.equal(r.message, 'the planner replied without a step', 'the outcome in the planner\'s own words');
});

t.test('grounding scores alternatives of the same skill with their own args', async (t) => {
  const { KinematicPlannerRobot } = await import('../../host/planner/kinematic-robot.ts');
  const { groundStep } = await import('../../host/planner/grounding.ts');
  const { SCENE } = await import('./helpers.ts');
  const robot = new KinematicPlannerRobot({ scene: SCENE });
  let calls = 0;
  const counting = { ...robot, robotId: robot.robotId, skills: (a?: Record<string, unknown>) => (calls++, robot.skills(a)) } as unknown as typeof robot;
  const g = groundStep(
    {
      candidates: [
        { id: 'a', skill: 'reach', args: { x_m: 0.6, y_m: 0 }, preference: 0.9 },
        { id: 'b', skill: 'reach', args: { x_m: 0.25, y_m: 0 }, preference: 0.5 },
        { id: 'c', skill: 'home', args: {}, preference: 0.4 },
      ],
    },
    counting,
    true,
  );
  t.same(g.scored.map((s) => s.affordance.value), [0, 1, 1]);
  t.equal(g.chosen?.id, 'b', '0.5 x 1 beats 0.9 x 0 and 0.4 x 1');
  t.equal(calls, 2, 'one skills() call per round of distinct skill names');
});
