// The differential-drive formula, once: wheel speeds [rad/s] <-> base twist (forward m/s, turn rad/s), from wheel radius and track width.

/** What the formula needs of a robot's base (a RobotGeometry or the envelope's workspace has these). */
export interface DiffDriveBase {
  wheel_radius_m: number;
  /** Distance between the wheel contact points; only the turn rate needs it. */
  track_width_m: number;
}

export interface WheelSpeeds {
  left_radps: number;
  right_radps: number;
}

export interface BaseTwist {
  v_mps: number;
  w_radps: number;
}

/** Forward speed [m/s] of the base centre: the mean of the wheel rims' speeds (needs no track width). */
export const forwardSpeed_mps = (wheel_radius_m: number, left_radps: number, right_radps: number): number => (wheel_radius_m * (left_radps + right_radps)) / 2;

/** Forward: wheel speeds -> the base's forward speed and turn rate (counter-clockwise positive). */
export function wheelsToTwist(b: DiffDriveBase, left_radps: number, right_radps: number): BaseTwist {
  return { v_mps: forwardSpeed_mps(b.wheel_radius_m, left_radps, right_radps), w_radps: (b.wheel_radius_m * (right_radps - left_radps)) / b.track_width_m };
}

/** Inverse: a forward speed and turn rate -> the wheel speeds that give them. */
export function twistToWheels(b: DiffDriveBase, v_mps: number, w_radps: number): WheelSpeeds {
  const half_mps = (w_radps * b.track_width_m) / 2;
  return { left_radps: (v_mps - half_mps) / b.wheel_radius_m, right_radps: (v_mps + half_mps) / b.wheel_radius_m };
}
