// Drives a robot from one Teleoperator: reads it at the control rate (or when a push source has a new message), hands the command to the runtime while the deadman is held, releases on let-go.
import type { RobotControl } from '../runtime/control.ts';
import { teleopCommand, type Teleoperator } from './teleoperator.ts';

export type TeleopTarget = Pick<RobotControl, 'teleop' | 'releaseTeleop'>;

export class TeleopDriver {
  /** True while the robot is under this source's teleop. */
  holding = false;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly robot: TeleopTarget,
    private readonly op: Teleoperator,
    /** A refusal while polling (e-stop latched, ...): said once per hold, the source keeps being read. */
    private readonly onRefused: (e: Error) => void = () => {},
  ) {}

  /**
   * Read the source now. Deadman held with an action: the command goes to the runtime (each call is also the teleop
   * heartbeat the envelope wants every 250 ms); otherwise teleop is released and the robot holds. Rejects with the
   * runtime's refusal, so a push source (the dashboard over MQTT) can reply it.
   */
  async readNow(): Promise<void> {
    const a = this.op.deadman() ? this.op.action() : null;
    if (a) {
      await this.robot.teleop(teleopCommand(this.op, a));
      this.holding = true;
    } else {
      this.holding = false;
      await this.robot.releaseTeleop();
    }
  }

  /** Poll a pull source (leader arm, terminal keys, script) at rate_hz; a release is sent once, on let-go. */
  async start(rate_hz: number): Promise<void> {
    await this.op.connect();
    let refusedThisHold = false;
    this.timer = setInterval(() => {
      if (this.busy) return;
      const wants = this.op.deadman() && this.op.action() !== null;
      if (!wants && !this.holding) {
        refusedThisHold = false;
        return;
      }
      this.busy = true;
      this.readNow().then(
        () => { refusedThisHold = false; },
        (e: unknown) => {
          if (!refusedThisHold) this.onRefused(e as Error);
          refusedThisHold = true;
        },
      ).finally(() => { this.busy = false; });
    }, 1000 / rate_hz);
  }

  /** Stop polling, release teleop if this source holds it, close the source. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.holding) {
      this.holding = false;
      await this.robot.releaseTeleop().catch(() => {});
    }
    await this.op.disconnect();
  }
}
