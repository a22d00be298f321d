// Feature catalogue: observation features read the robot in the base frame; action features become clamped setpoints, with the wheels stopped.
import t from 'tap';
import { decodeAction, encodeAction, MAX_LEAD_RAD, readObservation } from '../../host/skills/policy/features.ts';
import { forwardArm } from '../../host/skills/arm.ts';
import { referenceGeometry } from '../../host/skills/reference-robot.ts';
import type { Observation } from '../../host/skills/observation.ts';

const G = referenceGeometry();

const obs = (shoulder: number, elbow: number, heading = Math.PI / 2): Observation => ({
  base: { x_m: 1, y_m: -0.5, heading_rad: heading },
  joints: {
    shoulder: { position_rad: shoulder, velocity_radps: 0.3 },
    elbow: { position_rad: elbow, velocity_radps: -0.2 },
    gripper: { position_rad: 0.4, velocity_radps: 0 },
  },
  objects: [],
  held_id: null,
});

t.test('observation features: joints, and the target from the shoulder and from the tip, in the base frame', (t) => {
  const o = obs(0.3, -0.4);
  // Facing +y: a point 0.2 m ahead of the base in world y is base-frame (0.2, 0).
  const target = { x_m: 1, y_m: -0.3 };
  const x = readObservation(
    ['shoulder_position_rad', 'elbow_velocity_radps', 'target_from_shoulder_x_m', 'target_from_shoulder_y_m', 'target_from_tip_x_m', 'target_from_tip_y_m'],
    { obs: o, geometry: G, target },
    new Float32Array(6),
  );
  const tip = forwardArm(G, 0.3, -0.4);
  const want = [0.3, -0.2, 0.2 - G.arm_mount_x_m, 0, 0.2 - tip.x_m, -tip.y_m];
  want.forEach((w, k) => t.ok(Math.abs(x[k]! - w) < 1e-6, `feature ${k}: ${x[k]} vs ${w}`));
  t.end();
});

t.test('action features: deltas and targets become setpoints within MAX_LEAD_RAD and the joint range; wheels stop', (t) => {
  const o = obs(1.45, 0);
  const held = { shoulder_rad: 1.45, elbow_rad: 0, gripper_rad: 0.4 };
  const a = decodeAction(['shoulder_delta_rad', 'elbow_delta_rad'], [0.03, -5], o, G, held);
  t.same(a.velocity_radps, { wheel_left: 0, wheel_right: 0 });
  t.ok(Math.abs(a.position_rad!.shoulder! - 1.48) < 1e-9, 'a small delta passes through');
  t.equal(a.position_rad!.elbow, -MAX_LEAD_RAD, 'an out-of-distribution delta is capped');
  t.equal(a.position_rad!.gripper, 0.4, 'a joint the policy does not drive holds its start value');
  const b = decodeAction(['shoulder_target_rad'], [3], o, G, held);
  t.equal(b.position_rad!.shoulder, G.shoulder_max_rad, 'an absolute target is capped by lead, then by the range');
  t.same(encodeAction(['shoulder_delta_rad', 'elbow_target_rad'], { position_rad: { shoulder: 1.5, elbow: 0.2 } }, o), [1.5 - 1.45, 0.2]);
  t.throws(() => encodeAction(['gripper_delta_rad'], { position_rad: { shoulder: 0 } }, o), /action feature gripper_delta_rad: the demonstrated action has no position setpoint for joint "gripper"/);
  t.end();
});
