// 2-link arm kinematics: IK inverts FK inside the joint limits, refuses with a reason outside them; frame changes round-trip.
import t from 'tap';
import fc from 'fast-check';
import { baseToWorld, forwardArm, inverseArm, reachRange_m, tipInWorld, worldToBase, wrapAngle } from '../../host/skills/arm.ts';
import { REFERENCE_GEOMETRY as G } from '../../host/skills/geometry.ts';
import { createWorld, gripperTip } from '../../host/world/world.ts';

t.test('the geometry comes from the schematic and the envelope', (t) => {
  t.equal(G.wheel_radius_m, 0.035);
  t.equal(G.track_width_m, 0.16);
  t.equal(G.arm_l1_m, 0.12);
  t.equal(G.arm_l2_m, 0.1);
  t.same([G.shoulder_min_rad, G.shoulder_max_rad, G.elbow_min_rad, G.elbow_max_rad], [-1.5, 1.5, -1.5, 1.5]);
  t.same([G.gripper_open_rad, G.gripper_closed_rad], [0, 1.2]);
  const [rMin, rMax] = reachRange_m(G);
  t.ok(Math.abs(rMax - 0.22) < 1e-12);
  t.ok(Math.abs(rMin - Math.sqrt(0.12 ** 2 + 0.1 ** 2 + 2 * 0.12 * 0.1 * Math.cos(1.5))) < 1e-12, 'elbow limit sets the inner radius');
  t.end();
});

t.test('IK(FK(q)) puts the tip back where it was, for any joint angles inside the limits', (t) => {
  const angle = fc.double({ min: -1.5, max: 1.5, noNaN: true });
  fc.assert(
    fc.property(angle, angle, (s, e) => {
      const p = forwardArm(G, s, e);
      const ik = inverseArm(G, p, { shoulder_rad: s, elbow_rad: e });
      if (!ik.ok) return false;
      const q = forwardArm(G, ik.shoulder_rad, ik.elbow_rad);
      // Near the same configuration: the 'near' hint picks the original elbow branch.
      return Math.hypot(q.x_m - p.x_m, q.y_m - p.y_m) < 1e-9 && Math.abs(ik.elbow_rad - e) < 1e-6 + (Math.abs(e) < 1e-3 ? 2e-3 : 0);
    }),
  );
  t.end();
});

t.test('IK refuses unreachable targets and says why', (t) => {
  const far = inverseArm(G, { x_m: G.arm_mount_x_m + 0.3, y_m: 0 });
  t.notOk(far.ok);
  t.match(!far.ok && far.reason, /0\.300 m from the shoulder; the arm reaches at most 0\.220 m/);
  const near = inverseArm(G, { x_m: G.arm_mount_x_m + 0.1, y_m: 0 });
  t.match(!near.ok && near.reason, /elbow limits keep the tip at least 0\.162 m away/);
  const behind = inverseArm(G, { x_m: G.arm_mount_x_m - 0.2, y_m: 0 });
  t.match(!behind.ok && behind.reason, /outside the shoulder's range/);
  t.end();
});

t.test('world/base frames round-trip, and the world and the skills agree on where the tip is', (t) => {
  const base = { x_m: 0.3, y_m: -0.7, heading_rad: 2.1 };
  const p = { x_m: -0.2, y_m: 0.45 };
  const q = baseToWorld(base, worldToBase(base, p));
  t.ok(Math.hypot(q.x_m - p.x_m, q.y_m - p.y_m) < 1e-12);
  const w = { ...createWorld({ base, blocks: [], bin: { id: 'bin', label: 'bin', x_m: 1, y_m: 1, radius_m: 0.1 } }), arm: { shoulder_rad: 0.4, elbow_rad: -0.9, gripper_rad: 0 } };
  const a = gripperTip(w);
  const b = tipInWorld(G, base, 0.4, -0.9);
  t.ok(Math.hypot(a.x_m - b.x_m, a.y_m - b.y_m) < 1e-12);
  t.ok(Math.abs(Math.abs(wrapAngle(3 * Math.PI)) - Math.PI) < 1e-12);
  t.equal(wrapAngle(-Math.PI), Math.PI, "-pi maps to +pi");
  t.ok(Math.abs(wrapAngle(-3 * Math.PI / 2) - Math.PI / 2) < 1e-12);
  t.end();
});
