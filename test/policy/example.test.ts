// The shipped learned reach, loaded as a skill package and run through the runner on the kinematic robot: success over held-out scenes, refusals, corrections.
import t from 'tap';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evalSeeds, scoreReach } from '../../host/demos/train-eval.ts';
import { reachTask } from '../../host/demos/record-demos.ts';
import { SkillHarness } from '../../host/world/kinematic/harness.ts';
import { gripperTip } from '../../host/world/world.ts';
import { createRegistry, loadSkillPackages } from '../../host/skills/registry.ts';

const EXAMPLES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'host', 'skills', 'policy', 'examples');
const SCENES = 20;

const registry = createRegistry();
const report = await loadSkillPackages(registry, EXAMPLES);

t.test('the example registers like any skill package, with a JSON Schema for tool calling', async (t) => {
  t.same(report.errors, []);
  t.same(report.loaded.map((l) => l.skills), [['reach_learned']]);
  const tool = registry.tools().find((x) => x.name === 'reach_learned')!;
  t.match(tool.description, /Learned reach/);
  t.match(tool.parameters, { type: 'object', required: ['x_m', 'y_m'], additionalProperties: false });
  t.throws(() => registry.parseArgs('reach_learned', { x_m: 'near', y_m: 0 }), /skill "reach_learned": bad args: x_m/);
});

t.test(`the learned reach reaches held-out targets in ${SCENES} seeded scenes, like the scripted reach`, async (t) => {
  const seeds = evalSeeds(SCENES);
  const learned = scoreReach(registry, 'reach_learned', seeds);
  const scripted = scoreReach(registry, 'reach', seeds);
  t.equal(scripted.success_rate, 1, 'the teacher succeeds on every scene');
  // policy.json records 100 % on 100 held-out scenes (these 20 among them). 18/20 leaves room for a
  // borderline scene to flip when another backend's float rounding differs, yet fails a policy worse than
  // ~90 %: a 90 %-policy scores 18/20 or more in only ~68 % of draws, an 80 %-one in ~21 %.
  const ok = learned.outcomes.filter((o) => o.state === 'done' && o.tip_error_m < 0.005).length;
  t.ok(ok >= 18, `learned: ${ok}/${SCENES} done within 5 mm; failures: ${JSON.stringify(learned.outcomes.filter((o) => o.state !== 'done'))}`);
  for (const o of learned.outcomes.filter((x) => x.state === 'done')) t.ok(o.tip_error_m < 0.005, `seed ${o.seed}: tip ${(o.tip_error_m * 1000).toFixed(2)} mm from the target`);
  t.ok(learned.mean_time_s < 3 * scripted.mean_time_s, `mean ${learned.mean_time_s.toFixed(2)} s vs scripted ${scripted.mean_time_s.toFixed(2)} s simulated`);
});

t.test('out-of-reach targets are refused before anything moves, with the reason', async (t) => {
  const task = reachTask(evalSeeds(1)[0]!);
  const h = new SkillHarness({ scene: task.scene, registry });
  const far = { x_m: task.scene.base.x_m + 0.5 * Math.cos(task.scene.base.heading_rad), y_m: task.scene.base.y_m + 0.5 * Math.sin(task.scene.base.heading_rad) };
  t.match(h.runner.affordance('reach_learned', far), { value: 0, reason: /out of the arm's reach from here: target is 0\.450 m from the shoulder/ });
  t.throws(() => h.run('reach_learned', far), /skill "reach_learned" refused: affordance 0/);
  t.equal(h.runner.affordance('reach_learned', task.target).value, 1, 'reachable: the recorded evaluation success rate');
});

t.test('a nudge correction shifts the learned reach target; a nudge out of reach fails and holds', async (t) => {
  const task = reachTask(evalSeeds(3)[2]!);
  const b = task.scene.base;
  // Unit vector from the base to the target: a tangential nudge keeps the target in the reach ring, an outward one leaves it.
  const d = Math.hypot(task.target.x_m - b.x_m, task.target.y_m - b.y_m);
  const u = { x: (task.target.x_m - b.x_m) / d, y: (task.target.y_m - b.y_m) / d };

  const h = new SkillHarness({ scene: task.scene, registry });
  h.runner.start('reach_learned', task.target);
  h.runner.correct({ type: 'nudge', frame: 'world', dx_m: -0.01 * u.y, dy_m: 0.01 * u.x });
  h.idle(4);
  t.match(h.runner.last, { skill: 'reach_learned', state: 'done' });
  const tip = gripperTip(h.robot.world, h.robot.geometry);
  const shifted = { x_m: task.target.x_m - 0.01 * u.y, y_m: task.target.y_m + 0.01 * u.x };
  t.ok(Math.hypot(tip.x_m - shifted.x_m, tip.y_m - shifted.y_m) < 0.005, 'the tip ended at the nudged target');

  const h2 = new SkillHarness({ scene: task.scene, registry });
  h2.runner.start('reach_learned', task.target);
  h2.idle(0.05);
  h2.runner.correct({ type: 'nudge', frame: 'world', dx_m: 0.2 * u.x, dy_m: 0.2 * u.y });
  h2.idle(0.1);
  t.match(h2.runner.last, { skill: 'reach_learned', state: 'failed', reason: /reach_learned target out of reach/ });
  t.equal(h2.runner.active, null, 'nothing runs: the robot holds');
});
