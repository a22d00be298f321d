// Puts a tick-reading source (leader, keyboard: they need the time and the follower's pose to engage without a jump) behind the Teleoperator seam; a bad reading becomes "deadman released" plus an error report.
import { checkCommand, type FollowerView, type TeleopSource } from './source.ts';
import type { TeleopAction, Teleoperator } from './teleoperator.ts';

export interface SourceTeleoperatorOptions {
  /** The follower's measured joints now (RobotControl.snapshot().observation, by joint name). */
  follower: () => FollowerView;
  /** A refused reading (NaN, out of range, unplugged), said once until it changes; the robot holds meanwhile. */
  onError?: (e: Error) => void;
  connect?: () => Promise<void>;
  disconnect?: () => Promise<void>;
  now?: () => number;
}

export class SourceTeleoperator implements Teleoperator {
  readonly name: string;
  // The driver asks deadman() then action() in one tick: both must see the same single read of the device.
  private last: { at_ms: number; cmd: TeleopAction | null } | null = null;
  private lastError = '';

  constructor(
    private readonly source: TeleopSource,
    private readonly o: SourceTeleoperatorOptions,
  ) {
    this.name = source.name;
  }

  private poll(): TeleopAction | null {
    const now = (this.o.now ?? (() => performance.now()))();
    if (this.last && now - this.last.at_ms < 1) return this.last.cmd;
    let cmd: TeleopAction | null;
    try {
      cmd = this.source.read(now, this.o.follower());
      if (cmd) checkCommand(this.source.name, cmd);
      this.lastError = '';
    } catch (e) {
      cmd = null;
      if ((e as Error).message !== this.lastError) this.o.onError?.(e as Error);
      this.lastError = (e as Error).message;
    }
    this.last = { at_ms: now, cmd };
    return cmd;
  }

  deadman(): boolean {
    return this.poll() !== null;
  }

  action(): TeleopAction | null {
    return this.poll();
  }

  async connect(): Promise<void> {
    await this.o.connect?.();
  }

  async disconnect(): Promise<void> {
    this.source.close?.();
    await this.o.disconnect?.();
  }
}

/** The follower view from a robot's snapshot: measured joint positions by name. */
export function followerOf(robot: { snapshot(): { observation: { joints: Record<string, { position_rad: number }> } } }): () => FollowerView {
  return () => ({ joints_rad: Object.fromEntries(Object.entries(robot.snapshot().observation.joints).map(([k, v]) => [k, v.position_rad])) });
}
