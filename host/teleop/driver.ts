// Runs one teleop source at the control rate against a robot: a command each tick while its deadman is held, release (the robot holds) when it lets go or reads bad, then what the operator chose.
import type { RobotControl, TeleopCommand } from '../runtime/control.ts';
import type { TeleopSource } from './source.ts';

export interface DriverOptions {
  /** [Hz] how often the source is read and a command sent (the leader reports at 100 Hz). */
  rate_hz?: number;
  /** What runs when the operator lets go: hold (default), or this skill from where the robot is. */
  on_release?: { skill: string; args: unknown } | null;
  /** Errors and hand-overs, one line each (a repeated error is reported once until it changes). */
  onNotice?: (text: string) => void;
}

/** Every value a source sends must be finite: a NaN would otherwise reach the envelope as "no setpoint". */
function checkCommand(source: string, cmd: TeleopCommand): void {
  for (const [kind, m] of [['position_rad', cmd.position_rad], ['velocity_radps', cmd.velocity_radps]] as const)
    for (const [j, v] of Object.entries(m ?? {})) if (!Number.isFinite(v)) throw new Error(`teleop ${source}: ${kind}.${j} is ${v}; the robot holds`);
}

export class TeleopDriver {
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private active = false;
  private lastNotice = '';
  /** Ticks that sent a command, ticks that held, and errors: for tests and the status line. */
  readonly counts = { commands: 0, released: 0, errors: 0 };

  constructor(
    private readonly robot: RobotControl,
    private readonly source: TeleopSource,
    private readonly o: DriverOptions = {},
  ) {}

  get engaged(): boolean {
    return this.active;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(performance.now()), 1000 / (this.o.rate_hz ?? 100));
  }

  private notice(text: string): void {
    if (text !== this.lastNotice) this.o.onNotice?.(text);
    this.lastNotice = text;
  }

  /** One control tick; overlapping ticks (a slow robot reply) are skipped, not queued. */
  async tick(now_ms: number): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const obs = this.robot.snapshot().observation;
      const joints_rad = Object.fromEntries(Object.entries(obs.joints).map(([k, v]) => [k, v.position_rad]));
      let cmd: TeleopCommand | null;
      try {
        cmd = this.source.read(now_ms, { joints_rad });
        if (cmd) checkCommand(this.source.name, cmd);
      } catch (e) {
        this.counts.errors++;
        this.notice((e as Error).message);
        await this.release(false);
        return;
      }
      if (cmd) {
        await this.robot.teleop(cmd);
        if (!this.active) this.notice(`teleop: ${this.source.name} has control`);
        this.active = true;
        this.counts.commands++;
      } else await this.release(true);
    } catch (e) {
      this.notice(`teleop ${this.source.name}: ${(e as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  private async release(handBack: boolean): Promise<void> {
    if (!this.active) return;
    this.active = false;
    this.counts.released++;
    await this.robot.releaseTeleop();
    const next = handBack ? this.o.on_release : null;
    if (next) {
      this.notice(`teleop released: running ${next.skill}`);
      this.robot.runSkill(next.skill, next.args).catch((e: unknown) => this.notice(`after teleop, ${next.skill} refused: ${(e as Error).message}`));
    } else this.notice('teleop released: the robot holds');
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.busy) await new Promise((r) => setTimeout(r, 5));
    await this.release(false);
    this.source.close?.();
  }
}
