// The perception seam: what the runtime asks of whatever knows where the robot and the objects are (the tabletop world, odometry, later a camera).
import type { Pose2 } from '../skills/arm.ts';
import type { PerceivedObject } from '../skills/observation.ts';

/** One joint's newest measurement. */
export interface JointReading {
  position_rad: number;
  velocity_radps: number;
}

/** One MCU telemetry frame, as the runtime hands it on: no joint is special to the runtime. */
export interface TelemetryFrame {
  /** The node that sent the frame. */
  node: string;
  /** [s] since this node's previous frame, from the MCU's own clock (host jitter must not become odometry error); 0 on the first. */
  dt_s: number;
  /** The newest reading of every joint of the robot (other nodes' too), by joint name. */
  joints: Readonly<Record<string, JointReading>>;
  /** The joints this node measures (the frame is news for these only). */
  node_joints: readonly string[];
}

/**
 * A perception source handed to the runtime. It owns odometry and any world physics; the runtime only calls it:
 * `update` on every telemetry frame, `base` for the pose it writes to the loop, `perceive` for the skills' objects.
 */
export interface PerceptionSource {
  update(frame: TelemetryFrame): void;
  base(): Pose2;
  perceive(): { objects: PerceivedObject[]; held_id: string | null };
}
