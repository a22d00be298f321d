// The teleop seam for the sources in this folder: each reads its device once per control tick and returns joint commands, or null when its deadman is released (the robot holds).
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

