// Perception from wheel odometry alone (a real robot without a camera): the base pose integrated from the wheel joints the robot file names, no objects.
import type { EnvelopeConfigInput } from '../executor/envelope-config.ts';
import type { Pose2 } from '../skills/arm.ts';
import type { RobotGeometry } from '../skills/geometry.ts';
import type { PerceptionSource, TelemetryFrame } from './perception.ts';
import { integrateBase } from './world.ts';

/** Which joints drive the base (the envelope workspace's wheel_left / wheel_right names). */
export interface WheelJoints {
  left: string;
  right: string;
}

/** The wheel joints the envelope's workspace names: the robot's data, not a convention. */
export function wheelJoints(envelope: EnvelopeConfigInput): WheelJoints {
  const ws = envelope.workspace;
  if (!ws) throw new Error('envelope: no workspace, so no wheel joints for odometry; add workspace.wheel_left / wheel_right, or hand the runtime a perception source that needs none');
  return { left: ws.wheel_left, right: ws.wheel_right };
}

/** [s] a longer gap between two frames of the wheel node is a stall or a reconnect: not integrated. */
export const MAX_ODOMETRY_STEP_S = 0.5;

/** True when this frame carries a usable wheel step: both wheels read and a plausible dt. */
export function wheelStep(frame: TelemetryFrame, wheels: WheelJoints): { wl_radps: number; wr_radps: number } | null {
  if (!frame.node_joints.includes(wheels.left) || !(frame.dt_s > 0 && frame.dt_s < MAX_ODOMETRY_STEP_S)) return null;
  const l = frame.joints[wheels.left];
  const r = frame.joints[wheels.right];
  return l && r ? { wl_radps: l.velocity_radps, wr_radps: r.velocity_radps } : null;
}

export class OdometryPerception implements PerceptionSource {
  private pose: Pose2;

  constructor(private readonly o: { geometry: RobotGeometry; wheels: WheelJoints; start?: Pose2 }) {
    this.pose = { ...(o.start ?? { x_m: 0, y_m: 0, heading_rad: 0 }) };
  }

  update(frame: TelemetryFrame): void {
    const s = wheelStep(frame, this.o.wheels);
    if (s) this.pose = integrateBase(this.pose, s.wl_radps, s.wr_radps, frame.dt_s, this.o.geometry);
  }

  base(): Pose2 {
    return { ...this.pose };
  }

  perceive(): { objects: []; held_id: null } {
    return { objects: [], held_id: null };
  }
}
