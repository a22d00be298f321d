// The visible motion sequence `ganglion run` drives: a repeating 12 s program of base moves, arm sweeps and gripper.

/** Setpoints at one instant, in joint units: wheels [rad/s], arm joints [rad], gripper [us]. */
export interface MotionSetpoint {
  phase: string;
  wheel_left_radps: number;
  wheel_right_radps: number;
  shoulder_rad: number;
  elbow_rad: number;
  gripper_us: number;
}

export const SEQUENCE_PERIOD_S = 12;

/** Smooth 0 -> 1 -> 0 bump over [0, 1]: velocity commands start and stop without a step. */
const bump = (x: number) => (x <= 0 || x >= 1 ? 0 : Math.sin(Math.PI * x) ** 2);

/**
 * The sequence, one phase per 2 s: drive forward, turn in place, drive back, then sweep the arm
 * (shoulder and elbow on smooth sinusoids well inside their limits), close and open the gripper.
 */
export function motionAt(t_s: number): MotionSetpoint {
  const t = ((t_s % SEQUENCE_PERIOD_S) + SEQUENCE_PERIOD_S) % SEQUENCE_PERIOD_S;
  const k = Math.floor(t / 2);
  const x = (t - 2 * k) / 2;
  const wheel = 6 * bump(x); // [rad/s] about 0.2 m/s on 35 mm wheels
  const sp: MotionSetpoint = { phase: '', wheel_left_radps: 0, wheel_right_radps: 0, shoulder_rad: 0, elbow_rad: 0, gripper_us: 1500 };
  switch (k) {
    case 0: return { ...sp, phase: 'base forward', wheel_left_radps: wheel, wheel_right_radps: wheel };
    case 1: return { ...sp, phase: 'base turn left', wheel_left_radps: -wheel, wheel_right_radps: wheel };
    case 2: return { ...sp, phase: 'base back', wheel_left_radps: -wheel, wheel_right_radps: -wheel };
    case 3: return { ...sp, phase: 'arm reach out', shoulder_rad: 0.8 * bump(x / 2), elbow_rad: -1.0 * bump(x / 2) };
    case 4: return { ...sp, phase: 'arm sweep back', shoulder_rad: 0.8 * bump(0.5 + x / 2), elbow_rad: -1.0 * bump(0.5 + x / 2), gripper_us: 1000 };
    default: return { ...sp, phase: 'gripper open/close', gripper_us: x < 0.5 ? 2000 : 1000 };
  }
}
