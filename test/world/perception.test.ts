// The perception sources the runtime is handed: wheel odometry from the joints the envelope names, the tabletop world stepped by measured motion.
import t from 'tap';
import { REFERENCE_ENVELOPE } from '../../host/executor/envelope-config.ts';
import { REFERENCE_GEOMETRY as G } from '../../host/skills/geometry.ts';
import { OdometryPerception, wheelJoints } from '../../host/world/odometry.ts';
import type { TelemetryFrame } from '../../host/world/perception.ts';
import { TabletopPerception } from '../../host/world/tabletop-perception.ts';
import { createWorld, integrateBase, randomScene } from '../../host/world/world.ts';

const still = { position_rad: 0, velocity_radps: 0 };
const frame = (node: string, dt_s: number, wl: number, wr: number, node_joints = ['left_w', 'right_w']): TelemetryFrame => ({
  node, dt_s, node_joints,
  joints: { left_w: { position_rad: 0, velocity_radps: wl }, right_w: { position_rad: 0, velocity_radps: wr }, shoulder: still, elbow: still, gripper: still },
});

t.test('wheel joints come from the envelope workspace; none there is a clear error', async (t) => {
  t.same(wheelJoints(REFERENCE_ENVELOPE), { left: 'wheel_left', right: 'wheel_right' });
  t.throws(() => wheelJoints({ ...REFERENCE_ENVELOPE, workspace: undefined }), /envelope: no workspace, so no wheel joints for odometry; add workspace.wheel_left/);
});

t.test('odometry integrates frames of the node that measures the wheels, with the geometry given', async (t) => {
  const wide = { ...G, track_width_m: G.track_width_m * 2 };
  const odo = new OdometryPerception({ geometry: wide, wheels: { left: 'left_w', right: 'right_w' } });
  odo.update(frame('base', 0.01, 1, 3));
  t.same(odo.base(), integrateBase({ x_m: 0, y_m: 0, heading_rad: 0 }, 1, 3, 0.01, wide), 'one arc step with this robot\'s track width');
  const before = odo.base();
  odo.update(frame('arm', 0.01, 5, 5, ['shoulder', 'elbow', 'gripper']));
  odo.update(frame('base', 0, 5, 5));
  odo.update(frame('base', 0.6, 5, 5));
  t.same(odo.base(), before, 'frames of another node, a first frame (dt 0) and a gap over 0.5 s move nothing');
  t.same(odo.perceive(), { objects: [], held_id: null }, 'odometry sees no objects');
});

t.test('the tabletop world is stepped by the measured joints and perceived back', async (t) => {
  const world = createWorld(randomScene(3));
  const table = new TabletopPerception(world, { geometry: G, wheels: { left: 'left_w', right: 'right_w' } });
  table.update(frame('base', 0.02, 2, 2));
  t.ok(table.world.time_s > 0, 'the world advanced');
  t.same(table.base(), table.world.base, 'the base pose is the world\'s');
  t.not(table.base().x_m, world.base.x_m, 'the base drove');
  t.equal(table.perceive().objects.filter((o) => o.kind === 'bin').length, 1, 'the bin is seen');
  t.equal(table.perceive().objects.length, world.blocks.length + 1, 'every free block and the bin');
});
