// Hidden plant faults in the emulator: crossed motor leads and encoder channels, and an unknown power-up angle.
import t from 'tap';
import { loadBoard } from '../../host/hw/board.ts';
import { loadRobot } from '../../host/hw/robot.ts';
import { EmulatedNode, type PlantFaults } from '../../host/emulator/node.ts';
import { firmwareFlash, holdMotors, type Booted } from '../emulator/boot-node.ts';
import { TestLink } from '../emulator/link-helper.ts';

function bootArm(faults: PlantFaults): Booted {
  const wiring = loadRobot().nodes.find((n) => n.id === 'arm')!;
  const board = loadBoard(wiring.board);
  const node = new EmulatedNode({ wiring, board, flash: firmwareFlash(), faults });
  const link = new TestLink(node);
  node.runFor(5);
  link.configure(wiring, board);
  node.runFor(5);
  return { node, link, wiring, board };
}

/** Drive the shoulder at +300 permille for 200 ms; how far did the shaft and the firmware's count move? */
function pushShoulder(b: Booted): { shaft_rad: number; counts: number } {
  const before = b.node.motorState(0).output_rad;
  holdMotors(b, 200, { 0: { mode: 'PWM', value: 300 } });
  holdMotors(b, 500, { 0: { mode: 'OFF', value: 0 } }); // coasts to rest
  const tel = b.link.last('telemetry')!;
  return { shaft_rad: b.node.motorState(0).output_rad - before, counts: tel.counts[0]! };
}

t.test('no faults: +PWM turns the shaft positive and the count up', async (t) => {
  const r = pushShoulder(bootArm({}));
  t.ok(r.shaft_rad > 0.05, `shaft moved ${r.shaft_rad.toFixed(3)} rad`);
  t.ok(r.counts > 30, `counted ${r.counts}`);
});

t.test('swap_motor_leads: the same drive turns the shaft the other way (and the count follows it)', async (t) => {
  const r = pushShoulder(bootArm({ shoulder: { swap_motor_leads: true } }));
  t.ok(r.shaft_rad < -0.05, `shaft moved ${r.shaft_rad.toFixed(3)} rad`);
  t.ok(r.counts < -30, `counted ${r.counts}`);
});

t.test('swap_encoder_channels: the shaft turns positive but the firmware counts down; the snapshot agrees', async (t) => {
  const b = bootArm({ shoulder: { swap_encoder_channels: true } });
  const r = pushShoulder(b);
  t.ok(r.shaft_rad > 0.05, `shaft moved ${r.shaft_rad.toFixed(3)} rad`);
  t.ok(r.counts < -30, `counted ${r.counts}`);
  t.ok(Math.abs(b.node.motorState(0).encoder_counts - r.counts) <= 1, 'snapshot encoder_counts is in the firmware frame');
});

t.test('initial_rad: the joint powers up where the fault says, not where the robot file says', async (t) => {
  const b = bootArm({ elbow: { initial_rad: 1.234 } });
  t.ok(Math.abs(b.node.motorState(1).output_rad - 1.234) < 1e-9);
  t.ok(Math.abs(b.node.motorState(0).output_rad - 0.3) < 1e-9, 'other joints keep the robot file value');
});

t.test('faults for a joint the node does not have are refused', async (t) => {
  t.throws(() => bootArm({ wrist: { swap_motor_leads: true } }), /faults for "wrist", which is not one of its motors \(shoulder, elbow\)/);
  t.throws(() => bootArm({ shoulder: { swap_leads: true } as never }), /swap_leads/);
});
