// The tick-reading side of the teleop seam: a source reads its device once per control tick with the follower's pose and returns joint commands, or null when its deadman is released (the robot holds). SourceTeleoperator puts it behind Teleoperator.
import type { TeleopCommand } from '../runtime/control.ts';

/** What a source may look at each tick: the follower's measured joints (rad), to engage without a jump. */
export interface FollowerView {
  joints_rad: Record<string, number>;
}

export interface TeleopSource {
  /** "leader", "keyboard", ...: logged as the operator. */
  readonly name: string;
  /**
   * One control tick at now_ms. A command while the deadman is held; null when it is released (hold, never
   * drift). Throws when the device reads NaN or out of range, naming it: the driver releases and the robot holds.
   */
  read(now_ms: number, follower: FollowerView): TeleopCommand | null;
  close?(): void;
}


/** Every value a source sends must be finite: a NaN would otherwise reach the envelope as "no setpoint". */
export function checkCommand(source: string, cmd: Pick<TeleopCommand, 'position_rad' | 'velocity_radps'>): void {
  for (const [kind, m] of [['position_rad', cmd.position_rad], ['velocity_radps', cmd.velocity_radps]] as const)
    for (const [j, v] of Object.entries(m ?? {})) if (!Number.isFinite(v)) throw new Error(`teleop ${source}: ${kind}.${j} is ${v}; the robot holds`);
}
