// The dashboard's keyboard and gamepad teleop as a Teleoperator: a push source fed by the bridge's cmd/teleop messages, whose stream is the deadman.
import type { TeleopAction, Teleoperator } from './teleoperator.ts';

/**
 * [ms] the page publishes at 20 Hz while a key or the gamepad's deadman is held (dashboard/web/teleop.ts): a
 * message older than this means the operator let go or the link went. The envelope's teleop source times out at
 * the same 250 ms.
 */
export const DASHBOARD_DEADMAN_MS = 250;

export class DashboardTeleoperator implements Teleoperator {
  readonly name = 'dashboard';
  private latest: TeleopAction | null = null;
  private at_ms = -Infinity;

  /** A cmd/teleop message from `operator` (its MQTT username): the action now, and a deadman heartbeat. */
  command(a: TeleopAction): void {
    this.latest = a;
    this.at_ms = performance.now();
  }

  /** cmd/teleop_release: the operator let go. */
  release(): void {
    this.latest = null;
  }

  async connect(): Promise<void> {}

  action(): TeleopAction | null {
    return this.deadman() ? this.latest : null;
  }

  deadman(): boolean {
    return this.latest !== null && performance.now() - this.at_ms < DASHBOARD_DEADMAN_MS;
  }

  async disconnect(): Promise<void> {
    this.latest = null;
  }
}
