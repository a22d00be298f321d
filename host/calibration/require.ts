// The arming gate: a robot is armed only with a calibration made for its current wiring; and the calibrated wiring.
import type { NodeWiring, Robot } from '../hw/robot.ts';
import { CalibrationError, calibrationPath, loadCalibration } from './file.ts';
import type { Calibration } from './schema.ts';
import { wiringHash } from './wiring-hash.ts';

const HOW = '`ganglion calibrate --auto` (emulated) or `ganglion calibrate`';

/** Load the robot's calibration or throw a CalibrationError of one sentence that says what to run. */
export function requireCalibration(robot: Robot, file = calibrationPath(robot.name)): Calibration {
  let cal: Calibration;
  try {
    cal = loadCalibration(file);
  } catch (e) {
    if (!(e instanceof CalibrationError)) throw e;
    if (e.problem === 'missing') throw new CalibrationError('missing', `no calibration for robot ${robot.name} (${file}): run ${HOW}`);
    throw new CalibrationError(e.problem, `${e.message}; refusing to arm: fix or move the file away and run ${HOW}`);
  }
  if (cal.robot !== robot.name) {
    throw new CalibrationError('mismatch', `${file} calibrates robot ${cal.robot}, not ${robot.name}: run ${HOW} for ${robot.name}`);
  }
  const hash = wiringHash(robot);
  if (cal.wiring_hash !== hash) {
    throw new CalibrationError('mismatch', `${file} was made for another wiring of robot ${robot.name} (${cal.wiring_hash}, the wiring is now ${hash}): recalibrate with ${HOW}`);
  }
  // The hash already covers the joints; this catches a hand-edited file whose entries no longer line up.
  for (const node of robot.nodes) {
    for (const [name, kind, index] of [...node.motors.map((m) => [m.joint, 'dc', m.index] as const), ...node.servos.map((s) => [s.joint, 'servo', s.index] as const)]) {
      const j = cal.joints[name];
      const at = j?.kind === 'dc' ? j.motor : j?.kind === 'servo' ? j.servo : null;
      if (!j || j.kind !== kind || j.node !== node.id || at !== index) {
        throw new CalibrationError('mismatch', `${file}: joints.${name}: no ${kind} entry for node ${node.id} channel ${index}; recalibrate with ${HOW}`);
      }
    }
  }
  return cal;
}

/** The node's wiring with what calibration measured: the invert flags and gains replace the robot file's. */
export function calibratedNode(node: NodeWiring, cal: Calibration): NodeWiring {
  return {
    ...node,
    motors: node.motors.map((m) => {
      const j = cal.joints[m.joint];
      if (!j || j.kind !== 'dc' || j.node !== node.id || j.motor !== m.index) return m;
      return { ...m, invert_dir: j.invert_dir, invert_encoder: j.invert_encoder, pid: j.pid };
    }),
  };
}

export function calibratedRobot(robot: Robot, cal: Calibration): Robot {
  return { ...robot, nodes: robot.nodes.map((n) => calibratedNode(n, cal)) };
}
