// The auto procedure over a whole robot: one session per node, each DC joint calibrated in turn with numbered
// progress lines, servos from the robot file, and the calibration object that results.
import { loadBoard, type Board } from '../hw/board.ts';
import type { NodeWiring, Robot } from '../hw/robot.ts';
import type { McuSession } from '../link/session.ts';
import { AUTO_DEFAULTS, calibrateDcJoint, type AutoOptions } from './auto.ts';
import { CALIBRATION_VERSION, type Calibration, type JointCalibration, type ServoJointCalibration } from './schema.ts';
import { NodeStream } from './stream.ts';
import { wiringHash } from './wiring-hash.ts';

/** Opens and connects (not arms) a session to a node's MCU; the procedure closes it when the node is done. */
export type Connect = (node: NodeWiring, board: Board) => Promise<McuSession>;

/**
 * One node's calibration session: connects, waits for its first telemetry, runs `body` on its setpoint stream, and
 * whatever happens turns every output off and closes the session.
 */
export async function withNodeStream<T>(node: NodeWiring, connect: Connect, body: (stream: NodeStream, board: Board) => Promise<T>): Promise<T> {
  const board = loadBoard(node.board);
  const session = await connect(node, board);
  const stream = new NodeStream(session);
  try {
    await stream.until(`${node.id}: waiting for telemetry`, 2000, () => true);
    return await body(stream, board);
  } finally {
    stream.allOff();
    stream.dispose();
    await session.close();
  }
}

export interface ProcedureOptions extends Partial<AutoOptions> {
  log?: (line: string) => void;
}

/**
 * Hobby-servo convention (and the emulator's servo plant): 1000 us is 0 rad and 1000 us more is half a turn.
 * The robot file gives only the pulse range, so the mapping is this convention within it.
 */
export const SERVO_US_AT_ZERO = 1000;
export const SERVO_US_PER_RAD = 1000 / Math.PI;

/** A servo's entry: pulse range from the robot file, the standard angle mapping, soft limits = the range. */
export function servoEntry(node: NodeWiring, s: NodeWiring['servos'][number]): ServoJointCalibration {
  const toRad = (us: number) => Math.round(((us - SERVO_US_AT_ZERO) / SERVO_US_PER_RAD) * 1e4) / 1e4;
  return {
    kind: 'servo',
    node: node.id,
    servo: s.index,
    pulse_range_us: [s.min_us, s.max_us],
    us_at_zero_rad: SERVO_US_AT_ZERO,
    us_per_rad: SERVO_US_PER_RAD,
    soft_limits_rad: [toRad(s.min_us), toRad(s.max_us)],
  };
}

/** Run `calibrate --auto` on every node of the robot that has a motor or servo. */
export async function calibrateRobotAuto(robot: Robot, connect: Connect, o: ProcedureOptions = {}): Promise<Calibration> {
  const opts: AutoOptions = { ...AUTO_DEFAULTS, ...Object.fromEntries(Object.entries(o).filter(([k, v]) => k !== 'log' && v !== undefined)) };
  const log = o.log ?? (() => {});
  const steps = robot.nodes.flatMap((n) => [...n.motors.map((m) => ({ n, what: m.joint })), ...n.servos.map((s) => ({ n, what: s.joint }))]);
  const joints: Record<string, JointCalibration> = {};
  let k = 0;
  for (const node of robot.nodes) {
    for (const s of node.servos) {
      joints[s.joint] = servoEntry(node, s);
      const e = joints[s.joint] as ServoJointCalibration;
      log(`[${++k}/${steps.length}] ${s.joint} (servo ${node.id}/${s.index}): pulse ${e.pulse_range_us[0]}-${e.pulse_range_us[1]} us -> [${e.soft_limits_rad[0]}, ${e.soft_limits_rad[1]}] rad (robot file)`);
    }
    if (node.motors.length === 0) continue;
    await withNodeStream(node, connect, async (stream, board) => {
      await stream.session.arm();
      for (const m of node.motors) {
        const prefix = `[${++k}/${steps.length}] ${m.joint}:`;
        log(`${prefix} calibrating motor ${m.index} of node ${node.id}`);
        joints[m.joint] = await calibrateDcJoint({ stream, node, motor: m, board, opts, log: (l) => log(`${prefix} ${l}`) });
      }
      stream.allOff();
      await stream.session.disarm();
    });
  }
  return {
    version: CALIBRATION_VERSION,
    robot: robot.name,
    wiring_hash: wiringHash(robot),
    created: new Date().toISOString(),
    method: 'auto',
    joints,
  };
}
