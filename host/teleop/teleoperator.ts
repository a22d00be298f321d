// The teleop seam, as LeRobot's Teleoperator beside its Robot: a source of joint commands with a deadman (dashboard keys and gamepad, a leader arm, terminal keys, a script).
import type { TeleopCommand } from '../runtime/control.ts';

/** One read of a teleoperator: joint targets in the runtime's units (rad for position joints, rad/s for velocity joints). */
export type TeleopAction = Omit<TeleopCommand, 'operator'> & {
  /** Who is driving, when the source knows better than its name (an MQTT username). */
  operator?: string;
};

export interface Teleoperator {
  /** What the logs and the dashboard call this source ("dashboard", "leader", "keyboard"). */
  readonly name: string;
  /** Open the device (port, terminal, socket); resolves when `action` can be read. */
  connect(): Promise<void>;
  /** The command now, read once per control tick (or on each message of a push source); null: nothing to command. */
  action(): TeleopAction | null;
  /** True while the operator holds the deadman (key, button, pedal, heartbeat); letting go makes the robot hold. */
  deadman(): boolean;
  /** Close the device; the driver releases teleop first. */
  disconnect(): Promise<void>;
}

/** The runtime's teleop command for one read of `op`: its action, with the operator named. */
export function teleopCommand(op: Teleoperator, a: TeleopAction): TeleopCommand {
  return {
    ...(a.position_rad ? { position_rad: a.position_rad } : {}),
    ...(a.velocity_radps ? { velocity_radps: a.velocity_radps } : {}),
    operator: a.operator ?? op.name,
  };
}
