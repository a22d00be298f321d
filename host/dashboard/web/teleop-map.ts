// Teleop input -> joint-space teleop command: keys and gamepad axes to wheel velocities and arm position targets (pure, no DOM).

/** Normalised operator input, each in [-1, 1]. */
export interface TeleopInput {
  /** + forward */
  forward: number;
  /** + turn left (counter-clockwise) */
  turn: number;
  /** + raise the shoulder */
  shoulder: number;
  /** + bend the elbow */
  elbow: number;
  /** + close the gripper */
  gripper: number;
}

export const NO_INPUT: TeleopInput = { forward: 0, turn: 0, shoulder: 0, elbow: 0, gripper: 0 };

/** The reference robot's teleop profile: which joints the input drives and how fast. The envelope still bounds all of it. */
export const PROFILE = {
  wheels: { left: 'wheel_left', right: 'wheel_right' },
  /** [rad/s] wheel speed at full forward input */
  forward_radps: 8,
  /** [rad/s] wheel speed difference (each side) at full turn input */
  turn_radps: 4,
  arm: { shoulder: 'shoulder', elbow: 'elbow', gripper: 'gripper' },
  /** [rad/s] how fast a held key moves an arm joint's target */
  arm_rate_radps: 0.6,
  gripper_rate_radps: 1.5,
  /**
   * [rad] the target never leads the measured position by more than this: a joint at its limit (or blocked) does not
   * wind its target up, so letting go of the key stops it at once.
   */
  max_lead_rad: 0.25,
} as const;

/** Keys: arrows drive the base, W/S the shoulder, A/D the elbow, Q/E open/close the gripper. */
export const KEY_BINDINGS: Record<string, Partial<TeleopInput>> = {
  ArrowUp: { forward: 1 },
  ArrowDown: { forward: -1 },
  ArrowLeft: { turn: 1 },
  ArrowRight: { turn: -1 },
  KeyW: { shoulder: 1 },
  KeyS: { shoulder: -1 },
  KeyA: { elbow: 1 },
  KeyD: { elbow: -1 },
  KeyQ: { gripper: -1 },
  KeyE: { gripper: 1 },
};

const clamp1 = (v: number) => Math.max(-1, Math.min(1, v));

/** Held keys (KeyboardEvent.code) -> input; opposite keys cancel. */
export function keysToInput(held: Iterable<string>): TeleopInput {
  const sum = { ...NO_INPUT };
  for (const k of held) {
    const b = KEY_BINDINGS[k];
    if (!b) continue;
    for (const [axis, v] of Object.entries(b) as [keyof TeleopInput, number][]) sum[axis] += v;
  }
  return { forward: clamp1(sum.forward), turn: clamp1(sum.turn), shoulder: clamp1(sum.shoulder), elbow: clamp1(sum.elbow), gripper: clamp1(sum.gripper) };
}

/** Stick values this close to centre are noise, not a command. */
const DEADZONE = 0.15;
/** Standard-mapping gamepad: left bumper (4) is the deadman. */
export const GAMEPAD_DEADMAN_BUTTON = 4;

const dz = (v: number | undefined) => (v === undefined || Math.abs(v) < DEADZONE ? 0 : clamp1(v));

/**
 * Standard-mapping gamepad -> input: left stick drives the base, right stick moves shoulder (vertical) and elbow
 * (horizontal), A (0) closes and B (1) opens the gripper. Nothing moves unless the deadman button is held.
 */
export function gamepadToInput(axes: readonly number[], pressed: readonly boolean[]): { deadman: boolean; input: TeleopInput } {
  const deadman = pressed[GAMEPAD_DEADMAN_BUTTON] === true;
  if (!deadman) return { deadman, input: { ...NO_INPUT } };
  return {
    deadman,
    input: {
      forward: -dz(axes[1]),
      turn: -dz(axes[0]),
      shoulder: -dz(axes[3]),
      elbow: -dz(axes[2]),
      gripper: (pressed[0] ? 1 : 0) - (pressed[1] ? 1 : 0),
    },
  };
}

export interface TeleopCommandPayload {
  velocity_radps?: Record<string, number>;
  position_rad?: Record<string, number>;
  deadman: true;
}

/**
 * Arm position targets, integrated from rate input. They start at the measured positions when teleop begins, so
 * taking over never makes the arm jump.
 */
export class ArmTargets {
  private targets: Record<string, number> = {};

  constructor(measured: Record<string, number>) {
    for (const j of Object.values(PROFILE.arm)) if (measured[j] !== undefined) this.targets[j] = measured[j];
  }

  step(input: TeleopInput, dt_s: number, measured: Record<string, number>): Record<string, number> {
    const rate: Record<string, number> = {
      [PROFILE.arm.shoulder]: input.shoulder * PROFILE.arm_rate_radps,
      [PROFILE.arm.elbow]: input.elbow * PROFILE.arm_rate_radps,
      [PROFILE.arm.gripper]: input.gripper * PROFILE.gripper_rate_radps,
    };
    for (const [j, target] of Object.entries(this.targets)) {
      const next = target + (rate[j] ?? 0) * dt_s;
      const m = measured[j] ?? target;
      this.targets[j] = Math.max(m - PROFILE.max_lead_rad, Math.min(m + PROFILE.max_lead_rad, next));
    }
    return { ...this.targets };
  }
}

/** One teleop message: wheel velocities from the input, arm targets held (or moved) by ArmTargets. */
export function teleopCommand(input: TeleopInput, arm: Record<string, number>, joints: ReadonlySet<string>): TeleopCommandPayload {
  const v = input.forward * PROFILE.forward_radps;
  const w = input.turn * PROFILE.turn_radps;
  const cmd: TeleopCommandPayload = { deadman: true };
  if (joints.has(PROFILE.wheels.left) && joints.has(PROFILE.wheels.right)) {
    cmd.velocity_radps = { [PROFILE.wheels.left]: v - w, [PROFILE.wheels.right]: v + w };
  }
  const pos = Object.fromEntries(Object.entries(arm).filter(([j]) => joints.has(j)));
  if (Object.keys(pos).length) cmd.position_rad = pos;
  return cmd;
}
