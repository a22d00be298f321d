// The planner checks a success claim against the task's own done predicate on the perceived state; the model's text is quoted as its output, never the outcome; `ganglion plan` exits non-zero on a failure.
import t from 'tap';
import { planMain } from '../../host/cli/plan.ts';
import { Planner } from '../../host/planner/planner.ts';
import { startScriptedLlm } from './testing/scripted-llm.ts';
import { blockState, FINISH_OK, llmRig, PICK_RED, PLACE } from './helpers.ts';

const LIE = { content: 'All blocks are in the bin. Task complete!', tool_calls: [{ name: 'finish_task', arguments: { success: true, message: 'Every block is in the bin.' } }] };

t.test('a first-reply finish_task with success on an undone task: failed, with the reason seen on the perceived state', async (t) => {
  const rig = await llmRig([LIE]);
  t.teardown(rig.close);
  const r = await new Planner({ robot: rig.robot, slow: rig.slow }).run('put the red block in the bin');
  t.equal(r.outcome, 'failed');
  t.match(r.message, /the planner claimed success, but b1 is still perceived on the table at \(0\.60, 0\.00\) m/);
  t.equal(r.model_message, 'Every block is in the bin.', "the model's words are kept as its output");
  t.notMatch(r.message, /Every block is in the bin/, 'and are not the outcome');
  t.same(rig.robot.runs, [], 'nothing ran');
  t.equal(blockState(rig.robot, 'b1'), 'free');
});

t.test('the same claim after the work was really done: done, checked', async (t) => {
  const rig = await llmRig([{ tool_calls: [...PICK_RED, ...PLACE, FINISH_OK] }]);
  t.teardown(rig.close);
  const r = await new Planner({ robot: rig.robot, slow: rig.slow }).run('put the red block in the bin');
  t.equal(r.outcome, 'done', r.message);
  t.match(r.message, /checked on the perceived state: b1 is no longer perceived on the table and not held/);
  t.equal(blockState(rig.robot, 'b1'), 'in_bin');
});

t.test('a task with no checkable goal: a success claim before any step is a failure', async (t) => {
  const rig = await llmRig([{ tool_calls: [FINISH_OK] }]);
  t.teardown(rig.close);
  const r = await new Planner({ robot: rig.robot, slow: rig.slow }).run('wave at the visitor');
  t.equal(r.outcome, 'failed');
  t.match(r.message, /claimed success before any step ran/);
});

t.test('ganglion plan: the lie exits 1; the outcome line is the check, the model output is quoted on its own line', async (t) => {
  const llm = await startScriptedLlm([LIE]);
  t.teardown(() => llm.close());
  let out = '';
  let err = '';
  const code = await planMain(['--kinematic', '--seed', '3', '--no-memory', '--base-url', llm.base_url, '--model', 'scripted', 'put all blocks in the bin'], (s) => (out += s), (s) => (err += s), {});
  t.equal(code, 1, `exit code 1 on a failure ${err}`);
  const outcome = out.split('\n').find((l) => l.startsWith('outcome:'))!;
  t.match(outcome, /^outcome: failed: "the planner claimed success, but still perceived outside the bin: b\d/);
  t.notMatch(outcome, /Every block is in the bin/, 'the model text is not the outcome line');
  t.match(out, /\n  model output \(not checked\): "Every block is in the bin\."\n/);
});
