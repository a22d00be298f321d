// The leader device as a teleop source: its pots (through the firmware's ADC) mirrored onto the follower's arm joints while its button is held, with a rate-limited engage so pressing never makes the arm jump.
import type { TeleopCommand } from '../runtime/control.ts';
import { badReading, countsToJointRad, type LeaderCalibration } from './leader-calibration.ts';
import type { FollowerView, TeleopSource } from './source.ts';

/** What the source reads from the leader's MCU each tick (McuState has these fields). */
export interface LeaderReading {
  analog: readonly number[];
  inputs: number;
  /** [ms] performance.now() when the frame arrived. */
  receivedAtMs: number;
}

export interface LeaderOptions {
  /** The leader node's newest state, or null before it has reported. */
  device: () => LeaderReading | null;
  calibration: LeaderCalibration;
  /** [rad/s] how fast the command may close the gap between follower and leader right after the deadman is pressed. */
  engage_speed_radps?: number;
  /** [rad] within this of the leader on every joint, engaging is over and the arm mirrors the leader directly. */
  engaged_within_rad?: number;
  /** [ms] no frame from the leader this long: unplugged, the robot holds. */
  stale_ms?: number;
  /** [ms] a press shorter than this is a tap: it toggles the gripper. */
  tap_ms?: number;
  /** Gripper joint and its two positions; absent: the button is only the deadman. */
  gripper?: { joint: string; open_rad: number; closed_rad: number };
}

export class LeaderSource implements TeleopSource {
  readonly name = 'leader';
  private cmd: Record<string, number> | null = null;
  private engaging = false;
  private last_ms: number | null = null;
  private pressedAt: number | null = null;
  private gripperClosed = false;
  private readonly o: Required<Omit<LeaderOptions, 'gripper'>> & Pick<LeaderOptions, 'gripper'>;

  constructor(o: LeaderOptions) {
    this.o = { engage_speed_radps: 0.8, engaged_within_rad: 0.01, stale_ms: 300, tap_ms: 250, ...o };
  }

  /** True while the command is still ramping from where the follower was towards the leader. */
  get isEngaging(): boolean {
    return this.engaging;
  }

  read(now_ms: number, follower: FollowerView): TeleopCommand | null {
    const dt_s = this.last_ms === null ? 0 : Math.min(0.1, Math.max(0, (now_ms - this.last_ms) / 1000));
    this.last_ms = now_ms;
    const st = this.o.device();
    const cal = this.o.calibration;
    const drop = (why: string): never => {
      this.cmd = null;
      this.pressedAt = null;
      throw new Error(`teleop leader: ${why}; the robot holds`);
    };
    if (!st) return drop(`no telemetry from leader node "${cal.node}" yet`);
    const age = now_ms - st.receivedAtMs;
    if (age > this.o.stale_ms) return drop(`leader node "${cal.node}" silent for ${Math.round(age)} ms (unplugged?)`);
    const pressed = ((st.inputs >> cal.button_input) & 1) === 1;
    if (!pressed) {
      if (this.pressedAt !== null && now_ms - this.pressedAt < this.o.tap_ms) this.gripperClosed = !this.gripperClosed;
      this.pressedAt = null;
      this.cmd = null;
      return null;
    }
    this.pressedAt ??= now_ms;
    const target: Record<string, number> = {};
    for (const [joint, j] of Object.entries(cal.joints)) {
      const counts = st.analog[j.analog]!;
      const why = badReading(joint, j, counts);
      if (why) return drop(why);
      target[joint] = countsToJointRad(j, counts);
    }
    const fresh = !this.cmd;
    if (!this.cmd) {
      // Engage from where the follower is, not where the leader is: the gap closes at engage_speed_radps.
      this.cmd = {};
      for (const joint of Object.keys(target)) {
        const f = follower.joints_rad[joint];
        if (f === undefined || !Number.isFinite(f)) return drop(`the follower's ${joint} position is unknown (${f}), cannot engage`);
        this.cmd[joint] = f;
      }
      this.engaging = true;
    }
    // On the engage tick itself the command is the follower's position exactly.
    const step = this.o.engage_speed_radps * (fresh ? 0 : dt_s);
    let gap = 0;
    for (const [joint, t] of Object.entries(target)) {
      const c = this.cmd[joint]!;
      const next = this.engaging ? c + Math.min(step, Math.max(-step, t - c)) : t;
      this.cmd[joint] = next;
      gap = Math.max(gap, Math.abs(t - next));
    }
    if (this.engaging && gap < this.o.engaged_within_rad) this.engaging = false;
    const g = this.o.gripper;
    return {
      position_rad: { ...this.cmd, ...(g ? { [g.joint]: this.gripperClosed ? g.closed_rad : g.open_rad } : {}) },
      operator: 'leader',
    };
  }
}
