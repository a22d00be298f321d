// Geometry comes from the robot file given: another robot's kinematics give another geometry and envelope wheel radius; a missing dimension names the field.
import t from 'tap';
import { envelopeFor, REFERENCE_LIMITS } from '../../host/executor/envelope-config.ts';
import { loadRobot } from '../../host/hw/robot.ts';
import { geometryFor } from '../../host/skills/geometry.ts';
import { referenceGeometry } from '../../host/skills/reference-robot.ts';

t.test('--robot other.json: its own wheel radius, track and arm, not the reference robot\'s', async (t) => {
  const ref = loadRobot();
  const other = { ...ref, name: 'other', kinematics: { wheel_radius_m: 0.05, track_width_m: 0.3, arm_l1_m: 0.2, arm_l2_m: 0.15 } };
  const env = envelopeFor(REFERENCE_LIMITS, other.kinematics, other.name);
  t.equal(env.workspace!.wheel_radius_m, 0.05, 'the envelope\'s wheel radius is the robot file\'s');
  const g = geometryFor(other, env);
  t.same([g.wheel_radius_m, g.track_width_m, g.arm_l1_m, g.arm_l2_m], [0.05, 0.3, 0.2, 0.15]);
  t.not(g.wheel_radius_m, referenceGeometry().wheel_radius_m);
  t.equal(referenceGeometry().wheel_radius_m, ref.kinematics.wheel_radius_m, 'the reference geometry is read from its file');
});

t.test('a robot file without a dimension is refused, naming the field', async (t) => {
  const ref = loadRobot();
  t.throws(() => envelopeFor(REFERENCE_LIMITS, {}, 'bare'), /robot bare: kinematics.wheel_radius_m must be a positive number/);
  const env = envelopeFor(REFERENCE_LIMITS, ref.kinematics, ref.name);
  t.throws(() => geometryFor({ name: 'bare', kinematics: { wheel_radius_m: 0.03 } }, env), /robot bare: kinematics.track_width_m must be a positive number \(add it to the robot file\)/);
});
