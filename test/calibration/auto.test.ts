// `calibrate --auto` in the emulator (real firmware, emulated time): hidden offsets and crossed wires are recovered,
// and a fresh power-up with the calibration puts each joint where it is commanded.
import t from 'tap';
import { loadBoard } from '../../host/hw/board.ts';
import { loadRobot, type Robot } from '../../host/hw/robot.ts';
import { calibrateEmulated, InThreadRobot } from '../../host/calibration/emulated.ts';
import { countsToRad, dcJoint, radToCountsExact } from '../../host/calibration/joints.ts';
import { calibratedNode } from '../../host/calibration/require.ts';
import { CalibrationSchema, type Calibration } from '../../host/calibration/schema.ts';
import { NodeStream } from '../../host/calibration/stream.ts';
import type { PlantFaults } from '../../host/emulator/node.ts';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { positionSetpoint } from '../../host/protocol/position.ts';

const TOL_RAD = 0.02;

/** The arm node alone, with the robot file's power-up angles zeroed: the true ones exist only as hidden faults. */
function armRobot(): Robot {
  const r = loadRobot();
  const arm = r.nodes.find((n) => n.id === 'arm')!;
  for (const m of arm.motors) m.plant.initial_rad = 0;
  return { ...r, nodes: [arm] };
}

/** Power up again with the same faults, configure with the calibration, command joint angles, read the true ones. */
async function commandOnFreshBoot(robot: Robot, faults: PlantFaults, cal: Calibration, target_rad: Record<string, number>) {
  const sim = await InThreadRobot.boot(robot, { faults });
  const wiring = calibratedNode(robot.nodes[0]!, cal);
  const session = await sim.connect(wiring, loadBoard(wiring.board));
  const stream = new NodeStream(session);
  try {
    await stream.until('telemetry', 2000, () => true);
    await session.arm();
    for (const [name, rad] of Object.entries(target_rad)) {
      const j = dcJoint(cal, name);
      stream.set(j.motor, CONSTANTS.MODE.POSITION, positionSetpoint(radToCountsExact(j, rad)));
    }
    const st = await stream.wait(2500);
    return Object.fromEntries(Object.keys(target_rad).map((name) => {
      const j = dcJoint(cal, name);
      return [name, { true_rad: sim.node('arm').motorState(j.motor).output_rad, encoder_rad: countsToRad(j, st.counts[j.motor]!) }];
    }));
  } finally {
    stream.dispose();
    await session.close();
  }
}

const cases: { name: string; faults: { shoulder: PlantFaults[string]; elbow: PlantFaults[string] } }[] = [
  { name: 'shoulder +0.3 rad with crossed encoder channels, elbow -0.2 rad with crossed motor leads', faults: { shoulder: { initial_rad: 0.3, swap_encoder_channels: true }, elbow: { initial_rad: -0.2, swap_motor_leads: true } } },
  { name: 'shoulder -0.45 rad with both crossed, elbow +1.1 rad wired right', faults: { shoulder: { initial_rad: -0.45, swap_encoder_channels: true, swap_motor_leads: true }, elbow: { initial_rad: 1.1 } } },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const robot = armRobot();
    const faults = c.faults as PlantFaults;
    const lines: string[] = [];
    const { calibration: cal, sim } = await calibrateEmulated(robot, { faults, log: (l) => lines.push(l) });
    t.ok(CalibrationSchema.safeParse(cal).success, 'the result is a valid calibration file');
    t.match(lines.join('\n'), /\[2\/3\] shoulder: negative end: limit switch at -?\d+ counts/, 'progress lines with measured values');

    for (const name of ['shoulder', 'elbow'] as const) {
      const f = c.faults[name]!;
      const j = dcJoint(cal, name);
      // The robot file says no inversion, so what calibration sets is exactly the hidden crossing.
      t.equal(j.invert_dir, f.swap_motor_leads ?? false, `${name}: invert_dir recovers swap_motor_leads`);
      t.equal(j.invert_encoder, f.swap_encoder_channels ?? false, `${name}: invert_encoder recovers swap_encoder_channels`);
      const recovered_rad = -j.zero_offset_counts / j.counts_per_rad;
      t.ok(Math.abs(recovered_rad - f.initial_rad!) < TOL_RAD, `${name}: power-up angle ${recovered_rad.toFixed(4)} rad recovered (hidden ${f.initial_rad})`);
      t.ok(Math.abs(sim.node('arm').motorState(j.motor).output_rad) < 0.05, `${name}: left near 0 rad at the end of calibration`);
    }
    t.same(dcJoint(cal, 'shoulder').soft_limits_rad, [-1.5, 1.5], 'shoulder soft limits 0.1 rad inside its stops');
    t.same(dcJoint(cal, 'elbow').soft_limits_rad, [-2.3, 2.3], 'elbow soft limits 0.1 rad inside its stops');

    const at0 = await commandOnFreshBoot(robot, faults, cal, { shoulder: 0, elbow: 0 });
    for (const [name, r] of Object.entries(at0)) {
      t.ok(Math.abs(r.true_rad) < TOL_RAD, `${name}: commanded 0 rad after a fresh power-up, true angle ${r.true_rad.toFixed(4)} rad`);
      t.ok(Math.abs(r.encoder_rad - r.true_rad) < 0.005, `${name}: calibrated encoder angle ${r.encoder_rad.toFixed(4)} matches the true one`);
    }
    // Away from 0 the scale and sign show; what is left of the target is the PID's holding error (friction).
    const moved = await commandOnFreshBoot(robot, faults, cal, { shoulder: 0.8, elbow: -1.2 });
    for (const [name, target] of [['shoulder', 0.8], ['elbow', -1.2]] as const) {
      const r = moved[name]!;
      t.ok(Math.abs(r.encoder_rad - r.true_rad) < 0.005, `${name}: at ${target} rad the calibrated encoder angle ${r.encoder_rad.toFixed(4)} matches the true ${r.true_rad.toFixed(4)}`);
      t.ok(Math.abs(r.true_rad - target) < 0.03, `${name}: commanded ${target} rad, true ${r.true_rad.toFixed(4)}`);
    }
  });
}

t.test('wheels (no stops): the encoder sense is found, and no zero or limits are made up', async (t) => {
  const r = loadRobot();
  const robot = { ...r, nodes: r.nodes.filter((n) => n.id === 'base') };
  const { calibration: cal } = await calibrateEmulated(robot, { faults: { wheel_left: { swap_encoder_channels: true } } });
  const left = dcJoint(cal, 'wheel_left');
  t.equal(left.invert_encoder, true, 'crossed channels on wheel_left found');
  t.equal(left.soft_limits_rad, null);
  t.equal(left.home, null);
  const right = dcJoint(cal, 'wheel_right');
  t.same([right.invert_dir, right.invert_encoder], [true, true], 'wheel_right keeps the robot file flags, which are right');
});
