// The offline rule planner: the command forms it understands, and full tasks on the kinematic robot (one block, all blocks, home, retries, refusals).
import t from 'tap';
import { planMain } from '../../host/cli/plan.ts';
import { KinematicPlannerRobot } from '../../host/planner/kinematic-robot.ts';
import { Planner, type PlannerEvent } from '../../host/planner/planner.ts';
import { parseCommand, RulePlanner } from '../../host/planner/rule-planner.ts';
import { randomScene } from '../../host/world/world.ts';
import { blockState, SCENE } from './helpers.ts';

t.test('command forms', (t) => {
  t.same(parseCommand('go home'), { kind: 'home' });
  t.same(parseCommand('Please return home.'), { kind: 'home' });
  t.same(parseCommand('put all blocks in the bin'), { kind: 'put', target: 'all' });
  t.same(parseCommand('clear the table'), { kind: 'put', target: 'all' });
  t.same(parseCommand('pick the red block and put it in the bin'), { kind: 'put', target: ['red'] });
  t.same(parseCommand('put the dark green block into the bin'), { kind: 'put', target: ['dark', 'green'] });
  t.same(parseCommand('pick up the blue block'), { kind: 'pick', target: ['blue'] });
  t.same(parseCommand('drop it'), { kind: 'release' });
  t.same(parseCommand('drive to the bin'), { kind: 'goto', target: ['bin'] });
  t.same(parseCommand('turn right 90 degrees'), { kind: 'turn', angle_rad: -Math.PI / 2 });
  t.same(parseCommand('move back 20 cm'), { kind: 'move', distance_m: -0.2 });
  t.same(parseCommand('wait 2 seconds'), { kind: 'wait', seconds: 2 });
  t.equal(parseCommand('write me a poem'), null);
  t.end();
});

const run = async (task: string, scene = SCENE, events: PlannerEvent[] = []) => {
  const robot = new KinematicPlannerRobot({ scene });
  const r = await new Planner({ robot, slow: new RulePlanner(), onEvent: (e) => events.push(e) }).run(task);
  return { robot, r };
};

t.test('"pick the red block and put it in the bin": that block, not the other one', async (t) => {
  const { robot, r } = await run('pick the red block and put it in the bin');
  t.equal(r.outcome, 'done', r.message);
  t.equal(blockState(robot, 'b1'), 'in_bin');
  t.equal(blockState(robot, 'b2'), 'free');
  t.equal(r.llm_requests, 0);
});

t.test('"put all blocks in the bin" on random scenes', async (t) => {
  for (const seed of [2, 7]) {
    const scene = randomScene(seed);
    const { robot, r } = await run('put all blocks in the bin', scene);
    t.equal(r.outcome, 'done', `scene ${seed}: ${r.message}`);
    t.ok(robot.harness.robot.world.blocks.every((b) => b.state === 'in_bin'), `scene ${seed}: every block in the bin`);
  }
});

t.test('pick up, go home, turn, move, wait, go to', async (t) => {
  const pick = await run('pick up the blue block');
  t.equal(pick.r.outcome, 'done');
  t.equal(pick.robot.harness.robot.world.held_id, 'b2');
  t.same(pick.r.steps.map((s) => s.skill), ['drive_to', 'reach', 'grasp', 'home']);
  for (const [task, skill] of [['go home', 'home'], ['turn left', 'turn'], ['move forward 10 cm', 'move_base'], ['wait 1 s', 'wait'], ['go to the bin', 'drive_to']] as const) {
    const x = await run(task);
    t.equal(x.r.outcome, 'done', task);
    t.same(x.r.steps.map((s) => [s.skill, s.state]), [[skill, 'done']], task);
  }
  const turned = await run('turn left');
  t.ok(Math.abs(turned.robot.harness.robot.world.base.heading_rad - Math.PI / 2) < 0.05, 'turn left = +90 degrees');
});

t.test('a block wider than the jaws: grasp is never feasible, the planner says so and gives up after 3 attempts', async (t) => {
  const scene = { ...SCENE, blocks: [{ ...SCENE.blocks[0]!, size_m: 0.06 }] };
  const events: PlannerEvent[] = [];
  const { robot, r } = await run('put the red block in the bin', scene, events);
  t.equal(r.outcome, 'failed');
  t.match(r.model_message, /gave up on b1 after 3 failed attempts: .*wider than the open jaws/);
  t.equal(r.infeasible_steps, 3);
  t.notOk(robot.runs.some((x) => x.skill === 'grasp'), 'no grasp was ever started');
  t.equal(events.filter((e) => e.type === 'infeasible').length, 3, 'each time the user is told');
});

t.test('unknown commands and missing objects end clearly', async (t) => {
  const poem = await run('write me a poem');
  t.equal(poem.r.outcome, 'failed');
  t.match(poem.r.model_message, /does not understand "write me a poem"; it knows: go home; put all blocks/);
  const green = await run('put the green block in the bin');
  t.match(green.r.model_message, /no perceived block matches "green"/);
});

t.test('ganglion plan --kinematic: prints the plan, steps, affordances and the outcome', async (t) => {
  let out = '';
  let err = '';
  const code = await planMain(['--kinematic', '--seed', '3', '--no-memory', 'put all blocks in the bin'], (s) => (out += s), (s) => (err += s), {});
  t.equal(code, 0, err);
  t.match(out, /planner: offline rule planner \(no LLM configured\)/);
  t.match(out, /plan from rules .* 7 step\(s\)/);
  t.match(out, /1\. drive_to \{"x_m":-?\d+\.\d{1,3},"y_m":-?\d+\.\d{1,3},"standoff_m":0\.24\}/);
  t.match(out, /run grasp \{"object_id":"b\d"\}  \(decided in \d+\.\d\d ms\)/);
  t.match(out, /outcome: done: "checked on the perceived state: no block is perceived outside the bin and nothing is held"/);
  t.match(out, /model output \(not checked\): "every block is in the bin \(3 placed\)"/);
  let json = '';
  t.equal(await planMain(['--kinematic', '--no-memory', '--json', 'go home'], (s) => (json += s), () => {}, {}), 0);
  const lines = json.trim().split('\n').map((l) => JSON.parse(l) as { type: string; outcome?: string });
  t.equal(lines.at(-1)!.type, 'result');
  t.equal(lines.at(-1)!.outcome, 'done');
  t.equal(await planMain([], () => {}, () => {}, {}), 2, 'no task: usage');
  t.equal(await planMain(['--bogus', 'x'], () => {}, () => {}, {}), 2);
  await t.rejects(planMain(['go home'], () => {}, () => {}, {}), /no robot: give --mqtt URL/);
  await t.rejects(planMain(['--kinematic', 'go home'], () => {}, () => {}, { GANGLION_LLM_MODEL: 'x' }), /no base URL/);
});
