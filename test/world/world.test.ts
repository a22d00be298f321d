// The tabletop world: differential-drive odometry, arm forward kinematics on the base, pick-up and drop-in-bin, seeded scenes.
import t from 'tap';
import { REFERENCE_GEOMETRY as G } from '../../host/skills/geometry.ts';
import { inverseArm, reachRange_m, worldToBase } from '../../host/skills/arm.ts';
import { createWorld, gripperTip, integrateBase, perceive, randomScene, stepWorld, type Scene, type World, type WorldInput } from '../../host/world/world.ts';

const still: WorldInput = { wheel_left_radps: 0, wheel_right_radps: 0, shoulder_rad: 0, elbow_rad: 0, gripper_rad: 0 };
const scene = (over: Partial<Scene> = {}): Scene => ({
  base: { x_m: 0, y_m: 0, heading_rad: 0 },
  blocks: [{ id: 'b1', label: 'red block', x_m: 0.27, y_m: 0, size_m: 0.03 }],
  bin: { id: 'bin', label: 'bin', x_m: 0.07, y_m: 0.19, radius_m: 0.05 },
  ...over,
});
const run = (w: World, u: WorldInput, seconds: number, dt = 0.01) => {
  for (let i = 0; i < Math.round(seconds / dt); i++) w = stepWorld(w, u, dt);
  return w;
};

t.test('odometry: equal wheel speeds drive straight, opposite ones turn in place, unequal ones follow an arc', (t) => {
  const w = 10; // rad/s -> 0.35 m/s
  let p = integrateBase({ x_m: 0, y_m: 0, heading_rad: 0 }, w, w, 1);
  t.ok(Math.abs(p.x_m - 0.35) < 1e-12 && Math.abs(p.y_m) < 1e-12 && p.heading_rad === 0, '0.35 m straight ahead');
  p = integrateBase({ x_m: 1, y_m: 2, heading_rad: 0 }, -2, 2, 1);
  t.ok(Math.abs(p.x_m - 1) < 1e-12 && Math.abs(p.y_m - 2) < 1e-12, 'turning in place does not translate');
  t.ok(Math.abs(p.heading_rad - (G.wheel_radius_m * 4) / G.track_width_m) < 1e-12, 'heading rate r (wr - wl) / track, left positive');
  // A full circle in small steps comes back to the start: the arc integration is exact, not Euler.
  const omega = (G.wheel_radius_m * (6 - 4)) / G.track_width_m;
  const period = (2 * Math.PI) / omega;
  let q = { x_m: 0, y_m: 0, heading_rad: 0 };
  const n = 1000;
  for (let i = 0; i < n; i++) q = integrateBase(q, 4, 6, period / n);
  t.ok(Math.hypot(q.x_m, q.y_m) < 1e-9, `closed circle returns home (off by ${Math.hypot(q.x_m, q.y_m)} m)`);
  const radius = (G.wheel_radius_m * 5) / omega;
  const half = integrateBase({ x_m: 0, y_m: 0, heading_rad: 0 }, 4, 6, period / 2);
  t.ok(Math.abs(half.y_m - 2 * radius) < 1e-9, 'half a circle lands one diameter to the left');
  t.end();
});

t.test('the tip follows forward kinematics on the moving base', (t) => {
  let w = createWorld(scene());
  const [, rMax] = reachRange_m(G);
  t.ok(Math.abs(gripperTip(w).x_m - (G.arm_mount_x_m + rMax)) < 1e-12, 'straight arm: mount + l1 + l2 ahead');
  w = run(w, { ...still, shoulder_rad: Math.PI / 2, elbow_rad: 0 }, 0.01);
  const tip = gripperTip(w);
  t.ok(Math.abs(tip.x_m - G.arm_mount_x_m) < 1e-12 && Math.abs(tip.y_m - rMax) < 1e-12, 'shoulder +90 deg points left');
  w = { ...w, base: { x_m: 1, y_m: 1, heading_rad: Math.PI / 2 } };
  const t2 = gripperTip(w);
  t.ok(Math.abs(t2.x_m - (1 - rMax)) < 1e-12 && Math.abs(t2.y_m - (1 + G.arm_mount_x_m)) < 1e-12, 'rotates with the base heading');
  t.end();
});

/** Arm angles that put the tip on a world point (from the origin pose). */
function armOn(x_m: number, y_m: number, base = { x_m: 0, y_m: 0, heading_rad: 0 }) {
  const ik = inverseArm(G, worldToBase(base, { x_m, y_m }));
  if (!ik.ok) throw new Error(ik.reason);
  return ik;
}

t.test('closing jaws on a block pick it up; it moves with the tip; opening over the bin drops it in', (t) => {
  let w = createWorld(scene());
  const onBlock = armOn(0.27, 0);
  w = run(w, { ...still, ...onBlock }, 0.05);
  t.equal(w.held_id, null, 'open jaws hold nothing');
  w = run(w, { ...still, ...onBlock, gripper_rad: 1.2 }, 0.05);
  t.equal(w.held_id, 'b1', 'closed on the block: held');
  t.equal(w.blocks[0]!.state, 'held');
  const carry = armOn(0.2, 0.1);
  w = run(w, { ...still, ...carry, gripper_rad: 1.2 }, 0.05);
  const tip = gripperTip(w);
  t.ok(Math.abs(w.blocks[0]!.x_m - tip.x_m) < 1e-12 && Math.abs(w.blocks[0]!.y_m - tip.y_m) < 1e-12, 'the held block moves with the tip');
  // Driving carries it too.
  w = run(w, { ...still, ...carry, gripper_rad: 1.2, wheel_left_radps: 2, wheel_right_radps: 2 }, 0.2);
  t.ok(Math.abs(w.blocks[0]!.x_m - gripperTip(w).x_m) < 1e-12, 'and with the base');
  const onBin = armOn(0.07, 0.19, w.base);
  w = run(w, { ...still, ...onBin, gripper_rad: 1.2 }, 0.05);
  w = run(w, { ...still, ...onBin, gripper_rad: 0 }, 0.05);
  t.equal(w.held_id, null, 'opened: released');
  t.equal(w.blocks[0]!.state, 'in_bin', 'released over the bin: in it');
  t.notOk(perceive(w).objects.some((o) => o.id === 'b1'), 'a block in the bin is no longer perceived');
  t.end();
});

t.test('a block released away from the bin lands on the table; an already closed gripper picks nothing', (t) => {
  let w = createWorld(scene());
  const onBlock = armOn(0.27, 0);
  w = run(w, { ...still, ...onBlock, gripper_rad: 1.2 }, 0.05);
  w = run(w, { ...still, ...armOn(0.2, -0.1), gripper_rad: 1.2 }, 0.05);
  w = run(w, { ...still, ...armOn(0.2, -0.1), gripper_rad: 0 }, 0.05);
  t.equal(w.blocks[0]!.state, 'free');
  t.ok(Math.abs(w.blocks[0]!.y_m - -0.1) < 1e-9, 'it stays where the tip let go');

  let v = createWorld(scene());
  v = run(v, { ...still, ...armOn(0.2, 0.1), gripper_rad: 1.2 }, 0.2);
  v = run(v, { ...still, ...onBlock, gripper_rad: 1.2 }, 0.2);
  t.equal(v.held_id, null, 'jaws that were already shut when they arrived did not close around it');
  t.end();
});

t.test('randomScene is deterministic per seed, varied across seeds, and everything is reachable', (t) => {
  t.same(randomScene(7), randomScene(7));
  t.not(JSON.stringify(randomScene(7)), JSON.stringify(randomScene(8)));
  for (let seed = 1; seed <= 200; seed++) {
    const s = randomScene(seed);
    const pts = [...s.blocks, s.bin];
    for (const p of pts) {
      const r = Math.hypot(p.x_m, p.y_m);
      if (!(r >= 0.45 && r <= 1.1)) t.fail(`seed ${seed}: ${JSON.stringify(p)} not 0.45-1.1 m from the start`);
    }
    for (let i = 0; i < pts.length; i++)
      for (let j = i + 1; j < pts.length; j++) if (Math.hypot(pts[i]!.x_m - pts[j]!.x_m, pts[i]!.y_m - pts[j]!.y_m) < 0.3) t.fail(`seed ${seed}: objects closer than 0.3 m`);
    if (!(s.blocks.length >= 2 && s.blocks.length <= 4)) t.fail(`seed ${seed}: ${s.blocks.length} blocks`);
    if (s.blocks.some((b) => b.size_m >= G.jaw_open_width_m)) t.fail(`seed ${seed}: a block wider than the jaws`);
  }
  t.pass('200 scenes checked');
  t.end();
});
