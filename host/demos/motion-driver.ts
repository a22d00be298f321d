// Drives the motion sequence on live MCU sessions at a fixed rate and reports cadence, link health and tracking error.
import { CONSTANTS } from '../protocol/messages.ts';
import { positionSetpoint } from '../protocol/position.ts';
import { countsPerRad, type MotorWiring, type Robot } from '../hw/robot.ts';
import type { NodeLink } from '../link/node-link.ts';
import { motionAt, type MotionSetpoint } from './motion.ts';
import { countTelemetry, linkHealthLines } from './link-health.ts';

type JointKey = 'wheel_left' | 'wheel_right' | 'shoulder' | 'elbow';
const VELOCITY_JOINTS = new Set<string>(['wheel_left', 'wheel_right']);

interface JointBinding {
  key: JointKey;
  nodeId: string;
  motor: MotorWiring;
  countsPerRad: number;
  velocity: boolean;
  /** Squared error sum and count since the last report; velocity joints in (rad/s)^2, position joints in rad^2. */
  sq: number;
  n: number;
}

const targetOf = (sp: MotionSetpoint, key: JointKey): number =>
  ({ wheel_left: sp.wheel_left_radps, wheel_right: sp.wheel_right_radps, shoulder: sp.shoulder_rad, elbow: sp.elbow_rad })[key];

export class MotionDriver {
  private joints: JointBinding[] = [];
  private timer: NodeJS.Timeout | null = null;
  private t0 = 0;
  private next = 0;
  private ticks = 0;
  private late = 0;
  private lastReportMs = 0;
  private ticksAtReport = 0;
  private lateAtReport = 0;
  private telemetryCount = new Map<string, number>();
  private gripperUs = -1;
  private gripper: { session: NodeLink; index: number } | null = null;
  private prevTarget = new Map<JointKey, number>();
  private phase = '';

  constructor(
    robot: Robot,
    private readonly sessions: Map<string, NodeLink>,
    private readonly rateHz: number,
  ) {
    for (const node of robot.nodes) {
      for (const m of node.motors) {
        if (['wheel_left', 'wheel_right', 'shoulder', 'elbow'].includes(m.joint)) {
          this.joints.push({ key: m.joint as JointKey, nodeId: node.id, motor: m, countsPerRad: countsPerRad(m), velocity: VELOCITY_JOINTS.has(m.joint), sq: 0, n: 0 });
        }
      }
      const g = node.servos.find((s) => s.joint === 'gripper');
      const s = sessions.get(node.id);
      if (g && s) this.gripper = { session: s, index: g.index };
    }
    countTelemetry(sessions, this.telemetryCount);
  }

  start(): void {
    this.t0 = performance.now();
    this.next = this.t0;
    this.lastReportMs = this.t0;
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** setTimeout chain on absolute deadlines, so lateness does not accumulate (the real-time executor replaces this). */
  private schedule(): void {
    const period = 1000 / this.rateHz;
    this.next += period;
    const now = performance.now();
    if (now - this.next > period) {
      this.late += Math.floor((now - this.next) / period);
      this.next = now;
    }
    this.timer = setTimeout(() => {
      this.tick();
      this.schedule();
    }, Math.max(0, this.next - performance.now()));
  }

  private tick(): void {
    this.ticks++;
    const sp = motionAt((performance.now() - this.t0) / 1000);
    this.phase = sp.phase;
    this.accumulateError();
    const byNode = new Map<string, { mode: number[]; value: number[] }>();
    for (const j of this.joints) {
      const cmd = byNode.get(j.nodeId) ?? { mode: [0, 0, 0, 0], value: [0, 0, 0, 0] };
      const target = targetOf(sp, j.key);
      cmd.mode[j.motor.index] = j.velocity ? CONSTANTS.MODE.VELOCITY : CONSTANTS.MODE.POSITION;
      cmd.value[j.motor.index] = j.velocity ? Math.round(target * j.countsPerRad) : positionSetpoint(target * j.countsPerRad);
      byNode.set(j.nodeId, cmd);
      this.prevTarget.set(j.key, target);
    }
    for (const [id, cmd] of byNode) this.sessions.get(id)?.setMotors(cmd.mode, cmd.value);
    if (this.gripper && sp.gripper_us !== this.gripperUs) {
      this.gripperUs = sp.gripper_us;
      this.gripper.session.command('set_servo', { index: this.gripper.index, pulse_us: sp.gripper_us }).catch(() => {});
    }
  }

  /** Error of the newest measurement against the target sent one tick earlier. */
  private accumulateError(): void {
    for (const j of this.joints) {
      const st = this.sessions.get(j.nodeId)?.mcuState;
      const target = this.prevTarget.get(j.key);
      if (!st || target === undefined) continue;
      const actual = j.velocity ? st.velCps[j.motor.index]! / j.countsPerRad : st.counts[j.motor.index]! / j.countsPerRad;
      j.sq += (actual - target) ** 2;
      j.n++;
    }
  }

  /** One report: cadence of the host loop and each MCU's telemetry, link health, RMS tracking error per joint. */
  report(lagMs: Map<string, number> = new Map()): string {
    const now = performance.now();
    const dt = (now - this.lastReportMs) / 1000;
    const ticks = this.ticks - this.ticksAtReport;
    const late = this.late - this.lateAtReport;
    const lines = [`-- ${this.phase || 'idle'} | host loop ${(ticks / dt).toFixed(1)} Hz vs ${this.rateHz} Hz target, ${late}/${ticks + late} ticks missed`];
    lines.push(...linkHealthLines(this.sessions, this.telemetryCount, dt, lagMs));
    const errs = this.joints.map((j) => {
      const rms = j.n ? Math.sqrt(j.sq / j.n) : NaN;
      j.sq = 0;
      j.n = 0;
      return `${j.key} ${rms.toFixed(3)} ${j.velocity ? 'rad/s' : 'rad'}`;
    });
    lines.push(`   tracking error (RMS): ${errs.join(', ')}`);
    this.lastReportMs = now;
    this.ticksAtReport = this.ticks;
    this.lateAtReport = this.late;
    return lines.join('\n');
  }
}
