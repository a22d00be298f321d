// A skill through the executor and the safety envelope onto the real StandardFirmata in avr8js: the reference robot with
// its gripper on a Firmata board (base and arm on the posix firmware), measured on the emulated D9 pin.
import t from 'tap';
import { calibratedNode } from '../../host/calibration/require.ts';
import type { Calibration } from '../../host/calibration/schema.ts';
import { envelopeFor, REFERENCE_LIMITS } from '../../host/executor/envelope-config.ts';
import type { LoopStatsMessage } from '../../host/executor/commands.ts';
import { FirmataNode } from '../../host/firmata/node.ts';
import { loadBoard } from '../../host/hw/board.ts';
import { loadRobot } from '../../host/hw/robot.ts';
import type { NodeLink } from '../../host/link/node-link.ts';
import { asPosixBoard, PosixMcu } from '../../host/link/posix-mcu.ts';
import { SerialTransport } from '../../host/link/serial.ts';
import { McuSession } from '../../host/link/session.ts';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { bindFirmataNodes, refuseClosedLoopOnFirmata } from '../../host/runtime/firmata-nodes.ts';
import { bindJoints } from '../../host/runtime/io.ts';
import { envelopeWithCalibration } from '../../host/runtime/limits.ts';
import { RobotRuntime } from '../../host/runtime/runtime.ts';
import { geometryFor } from '../../host/skills/geometry.ts';
import { OdometryPerception, wheelJoints } from '../../host/world/odometry.ts';
import { resolvePin } from '../../host/emulator/wiring.ts';
import { bootAndConnect, pulseRecorder, sleep, until } from './boot.ts';
import { sampleCalibration } from '../calibration/fixture.ts';

/** The gripper on the Firmata board's servo 0 (D9, 600-2400 us in firmata-arm.json): 0 rad (open) 1000 us, 1.2 rad (closed) 2200 us. */
function gripperOnFirmata(cal: Calibration): Calibration {
  return { ...cal, joints: { ...cal.joints, gripper: { kind: 'servo', node: 'fir', servo: 0, pulse_range_us: [1000, 2200], us_at_zero_rad: 1000, us_per_rad: 1000, soft_limits_rad: [0, 1.2] } } };
}

t.test('release and a gripper correction run through the executor and envelope onto StandardFirmata', async (t) => {
  const b = await bootAndConnect();
  t.teardown(() => b.stop());
  const cleanups: (() => Promise<unknown>)[] = [];
  t.teardown(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  });
  const loaded = loadRobot();
  // Widened link watchdogs: the emulated Uno shares this thread on a loaded machine (as sim-robot's tests do).
  const robot = { ...loaded, nodes: loaded.nodes.map((n) => ({ ...n, watchdog_ms: 500 })) };
  // The hand-written calibration of the reference robot (calibrating its emulated twin takes minutes on a loaded machine).
  const calibration = gripperOnFirmata(sampleCalibration(loaded));

  const sessions = new Map<string, NodeLink>();
  for (const n of robot.nodes) {
    const mcu = new PosixMcu();
    const pty = await mcu.start();
    cleanups.push(() => mcu.stop());
    const board = asPosixBoard(loadBoard(n.board));
    const s = new McuSession({ transport: SerialTransport.forBoard(pty, board), node: calibratedNode(n, calibration), board, rearmAfterReconnect: 'the test (posix firmware: no hardware)', log: () => {}, ...(n.analog.length ? { status_hz: n.telemetry_hz } : {}) });
    cleanups.push(() => s.close());
    await s.connect();
    sessions.set(n.id, s);
  }
  const logged: string[] = [];
  const fir = new FirmataNode({ conn: b.conn, wiring: b.wiring, board: b.board, log: (l) => logged.push(l) });
  sessions.set('fir', fir);

  const envelope = envelopeWithCalibration(envelopeFor(REFERENCE_LIMITS, robot.kinematics, robot.name), calibration);
  const geometry = geometryFor(robot, envelope);
  const rt = new RobotRuntime({ calibration, sessions, envelope, geometry, rate_hz: 200, sleep_only: true, perception: new OdometryPerception({ geometry, wheels: wheelJoints(envelope) }) });
  await rt.start();
  cleanups.push(() => rt.stop());
  cleanups.push(async () => unbind());
  const unbind = bindFirmataNodes(rt, sessions);
  const clamps: LoopStatsMessage['clamps'][] = [];
  rt.on('loop_stats', (m) => clamps.push(m.clamps));
  await rt.arm();
  await until(() => [...sessions.values()].every((s) => s.stats().armed), 'every node armed');

  const rec = pulseRecorder(b.node, resolvePin(b.board, 'D9', 'test').pin);
  const pulseNear = (us: number) => rec.pulses.length > 0 && Math.abs(rec.pulses.at(-1)!.width_us - us) <= 20;
  // Armed and holding: the envelope starts the gripper where it reads it (no pulse yet = 0 rad), i.e. open, 1000 us.
  await until(() => pulseNear(1000), 'the open gripper pulse (1000 us) on D9');
  t.pass('armed: the gripper holds open, 1000 us on D9');

  const hold = rt.runSkill('hold', {});
  await rt.correct('close the gripper');
  await until(() => pulseNear(2200), 'the closed gripper pulse (2200 us) on D9');
  t.ok(Math.abs(rec.pulses.at(-1)!.width_us - 2200) <= 20, `"close the gripper" -> ${rec.pulses.at(-1)!.width_us.toFixed(1)} us on D9 (want 2200)`);
  t.ok(fir.stats().telemetry.telemetryFrames > 10, 'the Firmata node reports telemetry to the runtime');
  // The read-back trails the pin by a telemetry period and a control tick: wait for it (until() fails after its timeout).
  const gripperRead = () => rt.snapshot().observation.joints['gripper']?.position_rad ?? NaN;
  await until(() => Math.abs(gripperRead() - 1.2) < 0.02, 'the runtime reading the closed gripper back').catch(() => {});
  t.ok(Math.abs((rt.snapshot().observation.joints['gripper']?.position_rad ?? NaN) - 1.2) < 0.02, 'the runtime reads the gripper back from the Firmata node (the pulse being output)');
  await rt.cancel('test: close done');
  t.equal((await hold).state, 'cancelled');

  const released = await rt.runSkill('release', {});
  t.equal(released.state, 'done', `release ended ${released.state}${released.reason ? `: ${released.reason}` : ''}`);
  // release is done once the gripper is within its 0.05 rad tolerance of open (0 rad): 1000-1050 us on the pin.
  await until(() => rec.pulses.length > 0 && rec.pulses.at(-1)!.width_us <= 1050 + 20, 'the open gripper pulse after release');
  t.ok(rec.pulses.at(-1)!.width_us <= 1070, `release -> ${rec.pulses.at(-1)!.width_us.toFixed(1)} us on D9 (open: 1000 us, tolerance 50 us)`);

  // An out-of-range command from outside (teleop asks 3 rad): the envelope clamps it to 1.2 rad and counts the clamp;
  // the pin never sees more than the calibrated 2200 us.
  const from = rec.pulses.length;
  const teleop = setInterval(() => void rt.teleop({ position_rad: { gripper: 3 }, operator: 'test' }).catch(() => {}), 50);
  await until(() => pulseNear(2200), 'the clamped teleop pulse');
  await sleep(600);
  clearInterval(teleop);
  await rt.releaseTeleop();
  const widest = Math.max(...rec.pulses.slice(from).map((p) => p.width_us));
  t.ok(widest <= 2220, `teleop 3 rad: the widest pulse on D9 was ${widest.toFixed(1)} us (calibrated max 2200)`);
  await until(() => clamps.some((c) => (c.position_limit ?? 0) > 0), 'a position_limit clamp in the loop stats', 5000);
  t.pass(`the envelope logged position_limit clamps: ${clamps.reduce((a, c) => a + (c.position_limit ?? 0), 0)}`);

  // E-stop: the envelope latches, and the Firmata node's deadman puts every output at its default on the host.
  await rt.estop('test e-stop');
  await until(() => fir.deadman.tripped?.cause === 'estop', 'the deadman tripped by the e-stop');
  await until(() => pulseNear(1500), 'the gripper default (1500 us) after the e-stop');
  t.ok(Math.abs(rec.pulses.at(-1)!.width_us - 1500) <= 20, `e-stop -> gripper at its default_us: ${rec.pulses.at(-1)!.width_us.toFixed(1)} us`);
  t.equal(b.node.pinDuty('D5'), 0, 'conveyor PWM 0');
  t.ok(fir.stats().faults.includes('ESTOP'), `node faults: ${fir.stats().faults.join(', ')}`);
  await rt.clearEstop();
  t.equal(fir.deadman.tripped, null, 'clearing the e-stop re-arms the deadman');
});

t.test('the Firmata node clamps and refuses at its own edge (measured on the pins)', async (t) => {
  const b = await bootAndConnect();
  t.teardown(() => b.stop());
  const logged: string[] = [];
  const fir = new FirmataNode({ conn: b.conn, wiring: b.wiring, board: b.board, log: (l) => logged.push(l) });
  const events: string[] = [];
  fir.on('event', (e) => events.push(e.text));
  const errors: string[] = [];
  fir.on('mcu_error', (e) => errors.push(e.text));
  t.teardown(() => fir.deadman.stop());

  await t.rejects(fir.command('set_servo', { index: 0, pulse_us: 1500 }), /disarmed/, 'commands are refused while disarmed');
  await fir.arm();
  const kick = setInterval(() => fir.kick(), 20);
  t.teardown(() => clearInterval(kick));
  const rec = pulseRecorder(b.node, resolvePin(b.board, 'D9', 'test').pin);
  await fir.command('set_servo', { index: 0, pulse_us: 2500 });
  await until(() => rec.pulses.length > 0 && Math.abs(rec.pulses.at(-1)!.width_us - 2400) <= 20, 'the clamped pulse');
  t.ok(Math.abs(rec.pulses.at(-1)!.width_us - 2400) <= 20, `2500 us asked, ${rec.pulses.at(-1)!.width_us.toFixed(1)} us on D9 (range max 2400)`);
  t.match(logged.join('\n'), '[fir] servo gripper: 2500 us clamped to 2400 us (its range is 600-2400 us)', 'the clamp is logged');
  t.match(events.join('\n'), 'clamped to 2400 us', 'and reported as an event');

  const M = CONSTANTS.MODE;
  fir.setMotors([M.PWM], [500]);
  await until(() => Math.abs(b.node.pinDuty('D5') - 0.5) < 0.02, 'PWM 50% on D5');
  t.pass('an open-loop motor takes PWM');
  fir.setMotors([M.VELOCITY], [300]);
  await until(() => b.node.pinDuty('D5') === 0, 'PWM 0 after a refused velocity mode');
  t.match(errors.join('\n'), /motor conveyor on node fir is open loop \(board firmata-uno: closed_loop false.*position and velocity modes are refused/, 'velocity mode refused, naming the capability');
  fir.setMotors([M.POSITION], [300]);
  t.equal(errors.length, 1, 'the refusal is said once, not every tick');
  await t.rejects(fir.command('config_motor' as 'set_servo', { index: 0, pulse_us: 0 }), /Ganglion firmware command/);
});

t.test('a closed-loop (encoder) joint bound to a Firmata node is refused before the runtime starts', async (t) => {
  const robot = loadRobot();
  const cal = sampleCalibration(robot);
  const wheel = cal.joints['wheel_left']!;
  const bad = { ...cal, joints: { ...cal.joints, wheel_left: { ...wheel, node: 'fir' } } };
  const joints = bindJoints([{ name: 'wheel_left', kind: 'velocity' }], bad);
  const b = await bootAndConnect();
  t.teardown(() => b.stop());
  const fir = new FirmataNode({ conn: b.conn, wiring: b.wiring, board: b.board, log: () => {} });
  t.throws(() => refuseClosedLoopOnFirmata(joints, new Map([['fir', fir]])), /joint wheel_left: motor wheel_left on node fir is open loop/);
});

// johnny-five keeps its components' intervals alive; the emulator is stopped in teardown, so end the process.
t.teardown(() => setTimeout(() => process.exit(), 50));
