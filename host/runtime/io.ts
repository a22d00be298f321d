// Joint-space <-> MCU-space for the runtime: telemetry -> joint states, envelope setpoints -> set_motors / set_servo.
import { cpsToRadps, countsToRad, radToCountsExact, radToUs, radpsToCps, usToRad } from '../calibration/joints.ts';
import type { Calibration, DcJointCalibration, ServoJointCalibration } from '../calibration/schema.ts';
import type { NodeLink } from '../link/node-link.ts';
import { CONSTANTS } from '../protocol/messages.ts';
import { positionSetpoint } from '../protocol/position.ts';

export type JointKind = 'position' | 'velocity';

export interface JointIo {
  name: string;
  kind: JointKind;
  node: string;
  cal: { dc: DcJointCalibration } | { servo: ServoJointCalibration };
}

/** Bind each loop joint to its MCU channel through the calibration; throws naming a joint the calibration lacks. */
export function bindJoints(joints: readonly { name: string; kind: JointKind }[], cal: Calibration): JointIo[] {
  return joints.map((j) => {
    const c = cal.joints[j.name];
    if (!c) throw new Error(`joint "${j.name}" has no calibration entry (calibration has ${Object.keys(cal.joints).join(', ')})`);
    return c.kind === 'dc' ? { ...j, node: c.node, cal: { dc: c } } : { ...j, node: c.node, cal: { servo: c } };
  });
}

/** Joint position [rad] and velocity [rad/s] from the newest MCU state; null when that node has not reported yet. */
export function readJoint(j: JointIo, sessions: Map<string, NodeLink>): { position_rad: number; velocity_radps: number } | null {
  const st = sessions.get(j.node)?.mcuState;
  if (!st) return null;
  if ('dc' in j.cal) {
    const c = j.cal.dc;
    return { position_rad: countsToRad(c, st.counts[c.motor]!), velocity_radps: cpsToRadps(c, st.velCps[c.motor]!) };
  }
  // A hobby servo has no feedback: the pulse being output is the best estimate of where it is.
  const us = st.servoUs[j.cal.servo.servo]!;
  return { position_rad: us > 0 ? usToRad(j.cal.servo, us) : 0, velocity_radps: 0 };
}

/**
 * Sends one envelope-checked setpoint vector: a set_motors frame per node (POSITION counts/256 or VELOCITY counts/s,
 * OFF where torque is disabled) and set_servo when a servo's pulse changes. `lastServoUs` remembers what was sent.
 */
export function sendSetpoints(
  joints: JointIo[],
  value: ArrayLike<number>,
  torque: ArrayLike<number | boolean>,
  sessions: Map<string, NodeLink>,
  lastServoUs: Map<string, number>,
): void {
  const frames = new Map<string, { mode: number[]; value: number[] }>();
  joints.forEach((j, i) => {
    const v = value[i]!;
    if ('dc' in j.cal) {
      const c = j.cal.dc;
      const f = frames.get(j.node) ?? { mode: [0, 0, 0, 0], value: [0, 0, 0, 0] };
      if (!torque[i] || !Number.isFinite(v)) {
        f.mode[c.motor] = CONSTANTS.MODE.OFF;
      } else if (j.kind === 'velocity') {
        f.mode[c.motor] = CONSTANTS.MODE.VELOCITY;
        f.value[c.motor] = radpsToCps(c, v);
      } else {
        f.mode[c.motor] = CONSTANTS.MODE.POSITION;
        f.value[c.motor] = positionSetpoint(radToCountsExact(c, v));
      }
      frames.set(j.node, f);
    } else if (Number.isFinite(v)) {
      const us = torque[i] ? radToUs(j.cal.servo, v) : 0;
      if (lastServoUs.get(j.name) !== us) {
        lastServoUs.set(j.name, us);
        sessions.get(j.node)?.command('set_servo', { index: j.cal.servo.servo, pulse_us: us }).catch(() => lastServoUs.delete(j.name));
      }
    }
  });
  for (const [node, f] of frames) sessions.get(node)?.setMotors(f.mode, f.value);
}
