// The robot runtime: MCU sessions <-> executor loop (skills in a worker, safety envelope) <-> the world, on the main thread; implements RobotControl.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import type { Calibration } from '../calibration/schema.ts';
import { REFERENCE_ENVELOPE, type EnvelopeConfigInput } from '../executor/envelope-config.ts';
import { startLoop, type Loop } from '../executor/loop.ts';
import { createLoopShared, SetpointReader, StateWriter } from '../executor/shared.ts';
import type { McuSession } from '../link/session.ts';
import { integrateBase, perceive, stepWorld, type World } from '../world/world.ts';
import { appendCorrection, type CorrectionLogEntry } from '../skills/correction-log.ts';
import { parseCorrection } from '../skills/corrections.ts';
import type { Observation } from '../skills/observation.ts';
import { createRegistry } from '../skills/registry.ts';
import { REFERENCE_GEOMETRY } from '../skills/geometry.ts';
import { DEFAULT_STATUS_CHANNEL, isTerminal, type SkillChannelMessage, type SkillStatus } from '../skills/status.ts';
import type { RobotControl, RobotEvents, RobotSnapshot, SkillInfo, TeleopCommand } from './control.ts';
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
  /** SCHED_FIFO priority for the executor thread (see LoopOptions.rt_priority); absent: default scheduling. */
  rt_priority?: number;
  /** The robot's id on MQTT and in logs (default: the calibration's robot name). */
  robot_id?: string;
  /** Corrections are appended here (JSON lines) with their context; absent: not persisted. */
  correction_log?: string;
}

/** How many non-'done' skill outcomes the snapshot keeps for the planner. */
const RECENT_FAILURES = 5;

const SKILL_TICK = new URL('../skills/skill-tick.ts', import.meta.url);

export class RobotRuntime extends EventEmitter<RobotEvents> implements RobotControl {
  readonly robotId: string;
  readonly joints: JointIo[];
  loop: Loop | null = null;
  world: World | null;
  private pose = { x_m: 0, y_m: 0, heading_rad: 0 };
  private lastBaseUs: number | null = null;
  private running = false;
  private readonly lastServoUs = new Map<string, number>();
  private readonly waiting = new Map<string, (s: SkillStatus) => void>();
  // One channel per runtime: two runtimes in one process (several robots, tests) must not hear each other's skills.
  private readonly channelName = `${DEFAULT_STATUS_CHANNEL}.${randomUUID()}`;
  private readonly channel = new BroadcastChannel(this.channelName);
  private requests = 0;
  private perceptionTimer: NodeJS.Timeout | null = null;
  private writer: StateWriter | null = null;
  lastCadence = '';
  setpointsSent = 0;
  private lastSetpoints: Float64Array | null = null;
  private estopLatched: { reason: string } | null = null;
  private readonly stalled = new Map<string, string>();
  // Tool specs (JSON Schema of each skill's args) are fixed once the registry is: built once, not per call.
  private toolsCache: ReturnType<ReturnType<typeof createRegistry>['tools']> | null = null;
  private teleopActive = false;
  private task: string | null = null;
  private active: RobotSnapshot['active_skill'] = null;
  private activeSince_ms = 0;
  private activeArgs = new Map<string, unknown>();
  private recentFailures: RobotSnapshot['recent_failures'] = [];
  // Main-thread copy of the registry: for descriptions, arg checks and affordances (the worker has its own to run them).
  private readonly registry = createRegistry();

  private readonly envelope: EnvelopeConfigInput;

  constructor(private readonly o: RuntimeOptions) {
    super();
    this.robotId = o.robot_id ?? o.calibration.robot;
    if (o.correction_log) mkdirSync(path.dirname(o.correction_log), { recursive: true });
    const env = (this.envelope = o.envelope ?? envelopeWithCalibration(REFERENCE_ENVELOPE, o.calibration));
    this.joints = bindJoints(env.joints.map((j) => ({ name: j.name, kind: j.kind })), o.calibration);
    this.world = o.world ?? null;
    this.channel.onmessage = (e: unknown) => {
      const m = (e as { data: SkillChannelMessage }).data;
      if (m.type !== 'skill_status') return;
      this.trackSkill(m);
      this.emit('skill_status', m);
      if (m.request_id && isTerminal(m.state)) {
        this.waiting.get(m.request_id)?.(m);
        this.waiting.delete(m.request_id);
      }
    };
  }

  async start(): Promise<void> {
    const shared = createLoopShared(this.joints.map((j) => j.name));
    this.writer = new StateWriter(shared);
    this.loop = await startLoop({
      rate_hz: this.o.rate_hz ?? 500, tickModule: SKILL_TICK, shared, envelope: this.envelope, tick_options: { status_channel: this.channelName },
      ...(this.o.sleep_only ? { spin_margin_us: 0, adaptive_spin: false } : {}),
      ...(this.o.rt_priority === undefined ? {} : { rt_priority: this.o.rt_priority }),
    });
    this.loop.on('stats', (m) => {
      this.lastCadence = m.line;
      this.emit('loop_stats', m);
    });
    this.loop.on('event', (m) => {
      // An e-stop latched by estop() keeps the caller's reason; the event's text is for the log.
      if (m.kind === 'estop' && !this.estopLatched) this.estopLatched = { reason: m.text };
      if (m.kind === 'clear') {
        this.estopLatched = null;
        this.stalled.clear();
      }
      if (m.kind === 'stall' && m.joint) this.stalled.set(m.joint, m.text);
      this.emit('loop_event', m);
    });
    this.running = true;
    for (const [id, s] of this.o.sessions) {
      s.on('telemetry', (st) => {
        this.onTelemetry(id);
        this.emit('telemetry', id, st);
      });
      s.on('event', (e) => this.emit('notice', { level: 'info', source: id, text: e.text }));
      s.on('mcu_error', (e) => this.emit('notice', { level: 'error', source: id, text: `MCU refused: ${e.text}` }));
      s.on('disconnected', (d) => this.emit('notice', { level: 'error', source: id, text: `link lost: ${d.reason}; reconnecting` }));
      s.on('reconnected', () => this.emit('notice', { level: 'info', source: id, text: 'link back' }));
    }
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
        this.lastSetpoints = s.value;
        this.setpointsSent++;
        if (this.listenerCount('setpoints')) this.emit('setpoints', s.value, s.torque_enabled);
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
    if (this.estopLatched) throw new Error(`e-stop is latched (${this.estopLatched.reason}); clear it before starting "${name}"`);
    const request_id = `r${++this.requests}`;
    const ended = new Promise<SkillStatus>((resolve) => this.waiting.set(request_id, resolve));
    const observation = this.world ? { ...perceive(this.world) } : undefined;
    this.activeArgs.set(request_id, args);
    const ack = await this.loop.selectController('skill', { name, args, observation, request_id });
    if (!ack.ok) {
      this.waiting.delete(request_id);
      this.activeArgs.delete(request_id);
      throw new Error(ack.error ?? `skill ${name} refused`);
    }
    this.teleopActive = false;
    return ended;
  }

  private trackSkill(m: SkillStatus): void {
    if (m.state === 'running') {
      const args = m.request_id ? this.activeArgs.get(m.request_id) : undefined;
      this.active = { request_id: m.request_id, skill: m.skill, args: args ?? null, elapsed_s: m.elapsed_s, progress: m.progress };
      this.activeSince_ms = performance.now() - m.elapsed_s * 1000;
      return;
    }
    if (m.request_id) this.activeArgs.delete(m.request_id);
    if (this.active?.request_id === m.request_id) this.active = null;
    if (m.state !== 'done') {
      this.recentFailures.push({ skill: m.skill, state: m.state, reason: m.reason ?? '' });
      if (this.recentFailures.length > RECENT_FAILURES) this.recentFailures.shift();
    }
  }

  async cancel(reason: string): Promise<void> {
    const ack = await this.loop!.selectController('cancel', { reason });
    if (!ack.ok) throw new Error(ack.error ?? 'cancel refused');
  }

  /**
   * A language correction ("a bit to the left", "slower"), applied by the running skill at the next tick, and logged
   * with its context (task, skill, state) for retrieval on similar tasks. Throws listing the accepted forms when unknown.
   */
  async correct(phrase: string, source = 'local'): Promise<CorrectionLogEntry> {
    const correction = parseCorrection(phrase);
    const ack = await this.loop!.selectController('correction', { phrase });
    if (!ack.ok) throw new Error(ack.error ?? 'correction refused');
    const obs = this.observation();
    const entry: CorrectionLogEntry = {
      timestamp: new Date().toISOString(),
      phrase,
      correction,
      source,
      task: this.task,
      skill: this.active?.skill ?? null,
      ...(this.active ? { skill_args: this.active.args } : {}),
      state: {
        base: obs.base,
        joints_rad: Object.fromEntries(Object.entries(obs.joints).map(([k, v]) => [k, v.position_rad])),
        held_id: obs.held_id,
        ...(this.active ? { skill_elapsed_s: (performance.now() - this.activeSince_ms) / 1000 } : {}),
      },
    };
    if (this.o.correction_log) appendCorrection(this.o.correction_log, entry);
    this.emit('correction', entry);
    return entry;
  }

  /** E-stop: latched by the envelope at the next tick, then the skill and teleop are dropped so nothing resumes on clear. */
  async estop(reason: string): Promise<void> {
    // Latched here before the loop's event comes back, so the snapshot shows the caller's reason from the start.
    const was = this.estopLatched;
    this.estopLatched = was ?? { reason };
    const ack = await this.loop!.estop(reason);
    if (!ack.ok) {
      this.estopLatched = was;
      throw new Error(ack.error ?? 'e-stop refused');
    }
    this.teleopActive = false;
    await this.loop!.selectController('hold');
  }

  async clearEstop(): Promise<void> {
    const ack = await this.loop!.clear();
    if (!ack.ok) throw new Error(ack.error ?? 'clear refused');
    this.estopLatched = null;
    this.stalled.clear();
  }

  /** Teleop takeover. Each call is also the operator's heartbeat: the envelope stops teleop motion 250 ms after the last one. */
  async teleop(cmd: TeleopCommand): Promise<void> {
    if (this.estopLatched) throw new Error(`e-stop is latched (${this.estopLatched.reason}); clear it before teleop`);
    this.loop!.heartbeat('teleop');
    const ack = await this.loop!.selectController('teleop', { position_rad: cmd.position_rad, velocity_radps: cmd.velocity_radps });
    if (!ack.ok) throw new Error(ack.error ?? 'teleop refused');
    this.teleopActive = true;
  }

  async releaseTeleop(): Promise<void> {
    await this.loop!.selectController('teleop_release');
    this.teleopActive = false;
  }

  /** Arms every MCU; a session that is reconnecting (e.g. after a host stall) is given timeout_ms to come back first. */
  async arm(timeout_ms = 5000): Promise<void> {
    for (const [id, s] of this.o.sessions) {
      if (s.stats().state === 'reconnecting') {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            s.off('reconnected', done);
            reject(new Error(`cannot arm ${id}: its link is still reconnecting after ${timeout_ms} ms`));
          }, timeout_ms);
          const done = () => {
            clearTimeout(timer);
            resolve();
          };
          s.once('reconnected', done);
        });
      }
      await s.arm();
    }
  }

  async disarm(): Promise<void> {
    for (const s of this.o.sessions.values()) await s.disarm();
  }

  setTask(task: string | null): void {
    this.task = task;
  }

  /** What the skills see now: base pose, joints, perceived objects, what is held. */
  observation(): Observation {
    const joints: Observation['joints'] = {};
    for (const j of this.joints) {
      const r = readJoint(j, this.o.sessions);
      if (r) joints[j.name] = r;
    }
    if (this.world) {
      const p = perceive(this.world);
      return { base: { ...this.pose }, joints, ...p };
    }
    return { base: { ...this.pose }, joints, objects: [], held_id: null };
  }

  snapshot(): RobotSnapshot {
    const setpoints: Record<string, number> = {};
    if (this.lastSetpoints) this.joints.forEach((j, i) => (setpoints[j.name] = this.lastSetpoints![i]!));
    const armed: Record<string, boolean> = {};
    for (const [id, s] of this.o.sessions) armed[id] = s.stats().armed;
    return {
      robot: this.robotId,
      at_ms: Date.now(),
      mode: this.estopLatched ? 'estop' : this.teleopActive ? 'teleop' : this.active ? 'skill' : 'idle',
      estop: { latched: this.estopLatched !== null, reason: this.estopLatched?.reason ?? null },
      stalled: [...this.stalled].map(([joint, reason]) => ({ joint, reason })),
      armed,
      observation: this.observation(),
      setpoints,
      active_skill: this.active ? { ...this.active, elapsed_s: (performance.now() - this.activeSince_ms) / 1000 } : null,
      task: this.task,
      recent_failures: [...this.recentFailures],
    };
  }

  /** Every skill with its affordance now; a skill whose args are missing or bad (for it) gets null with no guess. */
  skills(argsBySkill: Record<string, unknown> = {}): SkillInfo[] {
    const obs = this.observation();
    this.toolsCache ??= this.registry.tools();
    return this.toolsCache.map((t) => {
      const skill = this.registry.get(t.name);
      const parsed = skill.args.safeParse(argsBySkill[t.name] ?? {});
      let affordance: SkillInfo['affordance'] = null;
      if (parsed.success) {
        try {
          const failed = skill.preconditions.find((p) => !p.holds(obs, parsed.data));
          affordance = failed ? { value: 0, reason: `precondition failed: ${failed.text}` } : skill.affordance(obs, parsed.data, REFERENCE_GEOMETRY);
        } catch (e) {
          affordance = { value: 0, reason: `affordance threw: ${(e as Error).message}` };
        }
      }
      return { name: t.name, description: t.description, args_schema: t.parameters, affordance };
    });
  }

  linkHealth(): Record<string, ReturnType<McuSession['stats']>> {
    return Object.fromEntries([...this.o.sessions].map(([id, s]) => [id, s.stats()]));
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.perceptionTimer) clearInterval(this.perceptionTimer);
    this.channel.close();
    await this.loop?.stop();
  }
}
