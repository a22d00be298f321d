// The robot runtime: MCU sessions <-> executor loop (skills in a worker, safety envelope) <-> the world, on the main thread.
import { BroadcastChannel } from 'node:worker_threads';
import type { Calibration } from '../calibration/schema.ts';
import { REFERENCE_ENVELOPE, type EnvelopeConfigInput } from '../executor/envelope-config.ts';
import { startLoop, type Loop } from '../executor/loop.ts';
import { createLoopShared, SetpointReader, StateWriter } from '../executor/shared.ts';
import type { McuSession } from '../link/session.ts';
import { integrateBase, perceive, stepWorld, type World } from '../sim/world.ts';
import { DEFAULT_STATUS_CHANNEL, isTerminal, type SkillChannelMessage, type SkillStatus } from '../skills/status.ts';
import { bindJoints, readJoint, sendSetpoints, type JointIo } from './io.ts';
import { envelopeWithCalibration } from './limits.ts';

export interface RuntimeOptions {
  calibration: Calibration;
  sessions: Map<string, McuSession>;
  /** [Hz] executor rate (500 by default, up to 1000). */
  rate_hz?: number;
  /** Default: REFERENCE_ENVELOPE narrowed to the calibration's soft limits. */
  envelope?: EnvelopeConfigInput;
  /** The simulated tabletop world, stepped from measured joint motion; absent on a real robot. */
  world?: World;
  /** [Hz] how often perception (the world's objects) reaches the skills. */
  perception_hz?: number;
  /**
   * Sleep-only timing (no spinning before each deadline). For emulation: the emulated MCUs need the cores that
   * spinning would take, and a starved host thread trips their link watchdogs.
   */
  sleep_only?: boolean;
}

const SKILL_TICK = new URL('../skills/skill-tick.ts', import.meta.url);

export class RobotRuntime {
  readonly joints: JointIo[];
  loop: Loop | null = null;
  world: World | null;
  private pose = { x_m: 0, y_m: 0, heading_rad: 0 };
  private lastBaseUs: number | null = null;
  private running = false;
  private readonly lastServoUs = new Map<string, number>();
  private readonly waiting = new Map<string, (s: SkillStatus) => void>();
  private readonly channel = new BroadcastChannel(DEFAULT_STATUS_CHANNEL);
  private requests = 0;
  private perceptionTimer: NodeJS.Timeout | null = null;
  private writer: StateWriter | null = null;
  lastCadence = '';
  setpointsSent = 0;

  private readonly envelope: EnvelopeConfigInput;

  constructor(private readonly o: RuntimeOptions) {
    const env = (this.envelope = o.envelope ?? envelopeWithCalibration(REFERENCE_ENVELOPE, o.calibration));
    this.joints = bindJoints(env.joints.map((j) => ({ name: j.name, kind: j.kind })), o.calibration);
    this.world = o.world ?? null;
    this.channel.onmessage = (e: unknown) => {
      const m = (e as { data: SkillChannelMessage }).data;
      if ('state' in m && m.request_id && isTerminal(m.state)) {
        this.waiting.get(m.request_id)?.(m);
        this.waiting.delete(m.request_id);
      }
    };
  }

  async start(): Promise<void> {
    const shared = createLoopShared(this.joints.map((j) => j.name));
    this.writer = new StateWriter(shared);
    this.loop = await startLoop({
      rate_hz: this.o.rate_hz ?? 500, tickModule: SKILL_TICK, shared, envelope: this.envelope,
      ...(this.o.sleep_only ? { spin_margin_us: 0, adaptive_spin: false } : {}),
    });
    this.loop.on('stats', (m) => { this.lastCadence = m.line; });
    this.running = true;
    for (const [id, s] of this.o.sessions) s.on('telemetry', () => this.onTelemetry(id));
    void this.pumpSetpoints(new SetpointReader(shared));
    const hz = this.o.perception_hz ?? 20;
    this.perceptionTimer = setInterval(() => void this.observe(), 1000 / hz);
    await this.firstState();
  }

  /** Skills must not start on an empty state (NaN pose): wait until every joint's node has reported once. */
  private async firstState(timeout_ms = 3000): Promise<void> {
    const nodes = new Set(this.joints.map((j) => j.node));
    const t0 = performance.now();
    while ([...nodes].some((n) => !this.o.sessions.get(n)?.mcuState)) {
      if (performance.now() - t0 > timeout_ms) throw new Error(`no telemetry from ${[...nodes].filter((n) => !this.o.sessions.get(n)?.mcuState).join(', ')} within ${timeout_ms} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
    // One more telemetry period so the state the loop reads includes the base pose.
    await new Promise((r) => setTimeout(r, 20));
  }

  /** Telemetry in: joint states (and, from the base node, odometry / the world) to the loop's shared state. */
  private onTelemetry(nodeId: string): void {
    const states: Record<string, { position_rad: number; velocity_radps: number }> = {};
    for (const j of this.joints) {
      const r = readJoint(j, this.o.sessions);
      if (r) states[j.name] = r;
    }
    const base = this.o.sessions.get(nodeId)?.mcuState;
    if (base && states.wheel_left && states.wheel_right && this.joints.find((j) => j.name === 'wheel_left')?.node === nodeId) {
      // dt from the MCU's own clock: host scheduling jitter must not turn into odometry error.
      const dt_s = this.lastBaseUs === null ? 0 : ((base.timeUs - this.lastBaseUs) >>> 0) / 1e6;
      this.lastBaseUs = base.timeUs;
      if (dt_s > 0 && dt_s < 0.5) {
        const wl = states.wheel_left.velocity_radps;
        const wr = states.wheel_right.velocity_radps;
        if (this.world) {
          this.world = stepWorld(this.world, {
            wheel_left_radps: wl, wheel_right_radps: wr,
            shoulder_rad: states.shoulder?.position_rad ?? 0, elbow_rad: states.elbow?.position_rad ?? 0, gripper_rad: states.gripper?.position_rad ?? 0,
          }, dt_s);
          this.pose = { ...this.world.base };
        } else {
          this.pose = integrateBase(this.pose, wl, wr, dt_s);
        }
      }
    }
    this.writer?.write(states, this.pose);
  }

  /** Setpoints out: every envelope-checked tick goes to the MCUs as soon as the loop publishes it. */
  private async pumpSetpoints(reader: SetpointReader): Promise<void> {
    let seq = 0;
    while (this.running) {
      try {
        const s = await reader.next(seq, 500);
        seq = s.seq;
        sendSetpoints(this.joints, s.value, s.torque_enabled, this.o.sessions, this.lastServoUs);
        this.setpointsSent++;
      } catch {
        // No setpoints for 500 ms: the loop stopped; the MCUs' link watchdogs take outputs to their defaults.
      }
    }
  }

  private async observe(): Promise<void> {
    if (!this.world || !this.loop) return;
    await this.loop.selectController('observe', perceive(this.world)).catch(() => {});
  }

  /** Runs one skill to its end; resolves with its final status (done, failed with the reason, timeout, cancelled). */
  async runSkill(name: string, args: unknown): Promise<SkillStatus> {
    if (!this.loop) throw new Error('the runtime is not started');
    const request_id = `r${++this.requests}`;
    const ended = new Promise<SkillStatus>((resolve) => this.waiting.set(request_id, resolve));
    const observation = this.world ? { ...perceive(this.world) } : undefined;
    const ack = await this.loop.selectController('skill', { name, args, observation, request_id });
    if (!ack.ok) {
      this.waiting.delete(request_id);
      throw new Error(ack.error ?? `skill ${name} refused`);
    }
    return ended;
  }

  /** A language correction ("a bit to the left", "slower"), applied by the running skill at the next tick. */
  async correct(phrase: string): Promise<void> {
    const ack = await this.loop!.selectController('correction', { phrase });
    if (!ack.ok) throw new Error(ack.error ?? 'correction refused');
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.perceptionTimer) clearInterval(this.perceptionTimer);
    this.channel.close();
    await this.loop?.stop();
  }
}
