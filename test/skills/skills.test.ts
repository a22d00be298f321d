// Each built-in skill on the kinematic robot through the real envelope: affordance (with reasons), done, failed, refusals.
import t from 'tap';
import { SkillHarness } from '../../host/world/kinematic/harness.ts';
import type { Scene } from '../../host/world/world.ts';
import { gripperTip } from '../../host/world/world.ts';
import { REFERENCE_GEOMETRY as G } from '../../host/skills/geometry.ts';
import { createRegistry } from '../../host/skills/registry.ts';

const scene = (over: Partial<Scene> = {}): Scene => ({
  base: { x_m: 0, y_m: 0, heading_rad: 0 },
  blocks: [{ id: 'b1', label: 'red block', x_m: 0.25, y_m: 0, size_m: 0.03 }],
  bin: { id: 'bin', label: 'bin', x_m: 0, y_m: 0.8, radius_m: 0.08 },
  ...over,
});
const near = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol;

t.test('move_base drives straight, optionally after turning to a heading; refuses to leave the workspace', (t) => {
  const h = new SkillHarness({ scene: scene() });
  t.equal(h.run('move_base', { distance_m: 0.3 }).state, 'done');
  const b = h.robot.world.base;
  t.ok(near(b.x_m, 0.3, 0.01) && near(b.y_m, 0, 0.005), `ended at (${b.x_m.toFixed(3)}, ${b.y_m.toFixed(3)})`);
  t.equal(h.run('move_base', { distance_m: -0.2, heading_rad: Math.PI / 2 }).state, 'done');
  t.ok(near(h.robot.world.base.heading_rad, Math.PI / 2, 0.03) && near(h.robot.world.base.y_m, -0.2, 0.01), 'turned left, then backed up 0.2 m');
  const edge = new SkillHarness({ scene: scene({ base: { x_m: 1.8, y_m: 0, heading_rad: 0 } }) });
  t.throws(() => edge.run('move_base', { distance_m: 0.5 }), /affordance 0: \(2\.30, 0\.00\) m is outside the base workspace/);
  t.end();
});

t.test('turn rotates in place by the relative angle', (t) => {
  const h = new SkillHarness({ scene: scene({ base: { x_m: 0.5, y_m: 0.5, heading_rad: 3 } }) });
  t.equal(h.run('turn', { angle_rad: 1 }).state, 'done');
  const b = h.robot.world.base;
  t.ok(near(b.heading_rad, 4 - 2 * Math.PI, 0.02), 'heading wraps through pi');
  t.ok(near(b.x_m, 0.5, 1e-3) && near(b.y_m, 0.5, 1e-3), 'no translation');
  t.end();
});

t.test('drive_to reaches a point, or stops standoff_m short facing it; unreachable stop points are refused', (t) => {
  const h = new SkillHarness({ scene: scene() });
  t.equal(h.run('drive_to', { x_m: -0.6, y_m: 0.4 }).state, 'done');
  t.ok(Math.hypot(h.robot.world.base.x_m + 0.6, h.robot.world.base.y_m - 0.4) < 0.01, 'within 1 cm');
  t.equal(h.run('drive_to', { x_m: 0.5, y_m: -0.5, standoff_m: 0.24 }).state, 'done');
  const b = h.robot.world.base;
  t.ok(near(Math.hypot(0.5 - b.x_m, -0.5 - b.y_m), 0.24, 0.01), '0.24 m short');
  t.ok(near(Math.atan2(-0.5 - b.y_m, 0.5 - b.x_m), b.heading_rad, 0.05), 'facing the point');
  t.throws(() => h.run('drive_to', { x_m: 3, y_m: 0 }), /affordance 0: .*outside the base workspace/);
  t.end();
});

t.test('drive_to fails when the envelope will not let the base go where the skill was told it may', (t) => {
  // The skill believes in a bigger box than the envelope enforces: the workspace clamp stops the base at x = 2.
  const geometry = { ...G, workspace: { x_min_m: -5, x_max_m: 5, y_min_m: -5, y_max_m: 5 } };
  const h = new SkillHarness({ scene: scene({ base: { x_m: 1.7, y_m: 0, heading_rad: 0 } }), geometry });
  const s = h.run('drive_to', { x_m: 2.5, y_m: 0 });
  t.equal(s.state, 'failed');
  t.match(s.reason, /made no progress for 3 s/);
  t.ok(h.robot.world.base.x_m <= 2.02, 'the envelope held the base inside its box');
  t.end();
});

t.test('reach moves the tip onto a world point; out of reach is refused with the reason', (t) => {
  const h = new SkillHarness({ scene: scene() });
  const s = h.run('reach', { x_m: 0.2, y_m: 0.1 });
  t.equal(s.state, 'done');
  const tip = gripperTip(h.robot.world);
  t.ok(Math.hypot(tip.x_m - 0.2, tip.y_m - 0.1) < 0.005, 'tip within 5 mm');
  t.throws(() => h.run('reach', { x_m: 0.6, y_m: 0 }), /refused: affordance 0: .*out of the arm's reach from here: target is 0\.550 m from the shoulder/);
  t.throws(() => h.run('reach', { x_m: 0.2 }), /skill "reach": bad args: y_m: /);
  t.end();
});

t.test('grasp: affordance only with a block in reach; done when held; refused while holding', (t) => {
  const far = new SkillHarness({ scene: scene({ blocks: [{ id: 'b1', label: 'red block', x_m: 0.6, y_m: 0, size_m: 0.03 }] }) });
  t.match(far.runner.affordance('grasp', {}), { value: 0, reason: /no perceived block is within the arm's reach/ });
  t.match(far.runner.affordance('grasp', { object_id: 'b1' }), { value: 0, reason: /block "b1": .* out of the arm's reach/ });
  t.match(far.runner.affordance('grasp', { object_id: 'nope' }), { value: 0, reason: /no block with id "nope"/ });

  const h = new SkillHarness({ scene: scene() });
  t.equal(h.runner.affordance('grasp', {}).value, 1);
  const s = h.run('grasp', {});
  t.equal(s.state, 'done');
  t.equal(h.robot.world.held_id, 'b1');
  t.match(h.runner.affordance('grasp', {}), { value: 0, reason: /precondition failed: nothing is held/ });
  t.throws(() => h.run('grasp', {}), /precondition failed: nothing is held/);
  t.end();
});

t.test('grasp fails when the jaws close on nothing (the block moved after it was seen)', (t) => {
  // Perception runs only when a skill starts, so the skill keeps aiming at the stale position.
  const h = new SkillHarness({ scene: scene(), perception_hz: 0.001 });
  h.run('reach', { x_m: 0.2, y_m: 0.1 });
  h.runner.start('grasp', { object_id: 'b1' });
  const w = h.robot.world;
  h.robot.world = { ...w, blocks: w.blocks.map((b) => ({ ...b, x_m: 0.5, y_m: 0.5 })) };
  for (let i = 0; i < 2000 && h.runner.active; i++) h.tick();
  t.match(h.runner.last, { skill: 'grasp', state: 'failed', reason: /the jaws closed on nothing: block "b1"/ });
  t.end();
});

t.test('release opens the gripper and lets go; nothing to release -> affordance 0', (t) => {
  const h = new SkillHarness({ scene: scene() });
  t.match(h.runner.affordance('release', {}), { value: 0, reason: /nothing to release/ });
  h.run('grasp', { object_id: 'b1' });
  t.equal(h.runner.affordance('release', {}).value, 1);
  t.equal(h.run('release', {}).state, 'done');
  t.equal(h.robot.world.held_id, null);
  t.equal(h.robot.world.blocks[0]!.state, 'free', 'not over the bin: on the table');
  t.end();
});

t.test('home: arm straight, gripper open, except that it keeps a held block', (t) => {
  const h = new SkillHarness({ scene: scene() });
  h.run('reach', { x_m: 0.2, y_m: 0.1 });
  t.equal(h.run('home', {}).state, 'done');
  const arm = h.robot.world.arm;
  t.ok(near(arm.shoulder_rad, 0, 0.01) && near(arm.elbow_rad, 0, 0.01) && near(arm.gripper_rad, 0, 0.05));
  h.run('grasp', { object_id: 'b1' });
  t.equal(h.run('home', {}).state, 'done');
  t.equal(h.robot.world.held_id, 'b1', 'still held');
  t.ok(h.robot.world.arm.gripper_rad >= 0.47, 'gripper still closed on the block (0.03 m jaws at >= 0.48 rad)');
  t.end();
});

t.test('hold runs until cancelled (or for duration_s); wait ends after its seconds', (t) => {
  const h = new SkillHarness({ scene: scene() });
  t.equal(h.run('wait', { seconds: 0.5 }).elapsed_s, 0.5);
  t.equal(h.run('hold', { duration_s: 0.3 }).state, 'done');
  h.runner.start('hold', {});
  h.idle(5);
  t.equal(h.runner.active?.skill, 'hold', 'still holding after 5 s');
  h.runner.cancel('operator');
  h.tick();
  t.match(h.runner.last, { skill: 'hold', state: 'cancelled', reason: 'operator' });
  t.equal(h.runner.active, null);
  t.end();
});

t.test('every built-in has a description, a finite or deliberate timeout, and JSON-schema args', (t) => {
  const r = createRegistry();
  t.same(r.names(), ['move_base', 'turn', 'drive_to', 'reach', 'grasp', 'release', 'home', 'hold', 'wait']);
  for (const tool of r.tools()) t.ok(tool.description.length > 20 && tool.parameters.type === 'object', tool.name);
  t.end();
});
