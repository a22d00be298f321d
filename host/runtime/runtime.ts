// The robot runtime: MCU sessions <-> executor loop (skills in a worker, safety envelope) <-> a perception source, on the main thread; implements RobotControl.
// Its parts live beside it (arming, estop-latch, skill-tracker, io, recording-tap, affordances, correction-entry); what
// stays is RobotControl's public surface, one short method each, which is why it runs a little over 300 lines.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import { startLoop, type Loop } from '../executor/loop.ts';
import { createLoopShared, HISTORY_TICKS, SetpointReader, StateWriter, type SetpointSnapshot } from '../executor/shared.ts';
import type { LinkStats } from '../link/session.ts';
import { monoToPerf_ms } from '../util/mono-clock.ts';
import type { JointReading, PerceptionSource } from '../world/perception.ts';
import type { RuntimeOptions } from './runtime-options.ts';
import { appendCorrection, type CorrectionLogEntry } from '../skills/correction-log.ts';
import { parseCorrection } from '../skills/corrections.ts';
import type { Observation } from '../skills/observation.ts';
import { createRegistry, type PackageLoadReport, type ToolSpec } from '../skills/registry.ts';
import { DEFAULT_STATUS_CHANNEL, type SkillChannelMessage, type SkillStatus } from '../skills/status.ts';
import { skillInfos } from './affordances.ts';
import { armAll, disarmAll, estopAll } from './arming.ts';
import type { RobotControl, RobotEvents, RobotSnapshot, SkillInfo, TeleopCommand } from './control.ts';
import { correctionEntry } from './correction-entry.ts';
import { EstopLatch } from './estop-latch.ts';
import { bindJoints, readJoint, sendSetpoints, type JointIo } from './io.ts';
import { RecordingTap, tapSample, type Controller, type SampleListener } from './recording-tap.ts';
import { forwardSessionNotices } from './session-notices.ts';
import { loadRuntimePackages, workerPackagesLoaded } from './skill-packages.ts';
import { SkillTracker } from './skill-tracker.ts';

export type { RuntimeOptions };

const SKILL_TICK = new URL('../skills/skill-tick.ts', import.meta.url);

export class RobotRuntime extends EventEmitter<RobotEvents> implements RobotControl {
  readonly robotId: string;
  readonly joints: JointIo[];
  readonly perception: PerceptionSource;
  loop: Loop | null = null;
  lastCadence = '';
  setpointsSent = 0;
  private running = false;
  private readonly lastServoUs = new Map<string, number>();
  /** [us] each node's MCU clock at its previous frame: dt comes from the MCU, never the host's scheduling. */
  private readonly lastFrameUs = new Map<string, number>();
  // One channel per runtime: two runtimes in one process (several robots, tests) must not hear each other's skills.
  private readonly channelName = `${DEFAULT_STATUS_CHANNEL}.${randomUUID()}`;
  private readonly channel = new BroadcastChannel(this.channelName);
  private perceptionTimer: NodeJS.Timeout | null = null;
  private writer: StateWriter | null = null;
  private lastSetpoints: Float64Array | null = null;
  private readonly latch = new EstopLatch();
  /** MCUs that were armed when the e-stop disarmed them: clearEstop re-arms these. */
  private readonly estopDisarmed = new Set<string>();
  private readonly skillsRun = new SkillTracker();
  private readonly tap = new RecordingTap();
  // Tool specs (JSON Schema of each skill's args) are fixed once the registry is: built once, not per call.
  private toolsCache: ToolSpec[] | null = null;
  /** The teleop command that drives now (raw, before the envelope), or null. */
  private teleopCmd: TeleopCommand | null = null;
  private task: string | null = null;
  // Main-thread copy of the registry: for descriptions, arg checks and affordances (the worker has its own to run them).
  private readonly registry = createRegistry();
  /** Learned skills among the robot's packages (o.skills_dir) and o.policy_skills. */
  private policySkills = new Set<string>();
  /** What start() loaded from o.skills_dir (a package that failed is named in errors, and in a notice), or null. */
  packages: PackageLoadReport | null = null;
  private readonly channelTaps = new Set<(m: SkillChannelMessage) => void>();

  constructor(private readonly o: RuntimeOptions) {
    super();
    this.robotId = o.robot_id ?? o.calibration.robot;
    if (o.correction_log) mkdirSync(path.dirname(o.correction_log), { recursive: true });
    this.joints = bindJoints(o.envelope.joints.map((j) => ({ name: j.name, kind: j.kind })), o.calibration);
    this.perception = o.perception;
    this.channel.onmessage = (e: unknown) => {
      const m = (e as { data: SkillChannelMessage }).data;
      for (const fn of this.channelTaps) fn(m);
      if (m.type !== 'skill_status') return;
      this.skillsRun.onStatus(m);
      this.tap.event({ kind: 'skill_status', status: m });
      this.emit('skill_status', m);
    };
  }

  async start(): Promise<void> {
    const shared = createLoopShared(this.joints.map((j) => j.name));
    this.writer = new StateWriter(shared);
    this.policySkills = new Set(this.o.policy_skills);
    const dir = this.o.skills_dir;
    if (dir) {
      // Here for descriptions, arg checks and affordances; the worker loads the same folder to run them.
      const p = await loadRuntimePackages(this.registry, dir).catch((e: Error) => {
        // Nothing started yet but the status channel, which would keep the process alive.
        this.channel.close();
        throw e;
      });
      p.policy_skills.forEach((n) => this.policySkills.add(n));
      this.packages = p.report;
      for (const e of p.report.errors) this.emit('notice', { level: 'error', source: 'skills', text: e.error });
    }
    const workerLoaded = dir ? workerPackagesLoaded((fn) => (this.channelTaps.add(fn), () => this.channelTaps.delete(fn))) : null;
    this.loop = await startLoop({
      rate_hz: this.o.rate_hz ?? 500, tickModule: SKILL_TICK, shared, envelope: this.o.envelope,
      tick_options: { status_channel: this.channelName, geometry: this.o.geometry, ...(dir ? { packages_dir: dir } : {}) },
      ...(this.o.sleep_only ? { spin_margin_us: 0, adaptive_spin: false } : {}),
      ...(this.o.rt_priority === undefined ? {} : { rt_priority: this.o.rt_priority }),
      ...(this.o.loop_isolation ? { isolation: true } : {}),
      ...(this.o.loop_cpu === undefined || this.o.loop_cpu === 'none' ? {} : { cpu: this.o.loop_cpu }),
    });
    this.loop.on('stats', (m) => {
      this.lastCadence = m.line;
      this.emit('loop_stats', m);
    });
    this.loop.on('event', (m) => {
      this.latch.onLoopEvent(m);
      this.tap.event({ kind: 'loop_event', event: m });
      this.emit('loop_event', m);
    });
    this.running = true;
    for (const [id, s] of this.o.sessions) {
      s.on('telemetry', (st) => {
        this.onTelemetry(id, st.timeUs);
        this.emit('telemetry', id, st);
      });
      forwardSessionNotices(id, s, (n) => this.emit('notice', n));
    }
    void this.pumpSetpoints(new SetpointReader(shared));
    const hz = this.o.perception_hz ?? 20;
    this.perceptionTimer = setInterval(() => void this.observe(), 1000 / hz);
    await workerLoaded?.catch(async (e: Error) => {
      await this.stop();
      throw e;
    });
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

  private readJoints(): Record<string, JointReading> {
    const states: Record<string, JointReading> = {};
    for (const j of this.joints) {
      const r = readJoint(j, this.o.sessions);
      if (r) states[j.name] = r;
    }
    return states;
  }

  /** Telemetry in: joint states to the perception source (odometry, the world) and, with its base pose, to the loop's shared state. */
  private onTelemetry(node: string, time_us: number): void {
    const joints = this.readJoints();
    const last = this.lastFrameUs.get(node);
    this.lastFrameUs.set(node, time_us);
    const dt_s = last === undefined ? 0 : ((time_us - last) >>> 0) / 1e6;
    this.perception.update({ node, dt_s, joints, node_joints: this.joints.filter((j) => j.node === node).map((j) => j.name) });
    this.writer?.write(joints, this.perception.base());
  }

  /** Setpoints out: every envelope-checked tick goes to the MCUs as soon as the loop publishes it. */
  private async pumpSetpoints(reader: SetpointReader): Promise<void> {
    let seq = 0;
    // The last tick handed to the recording tap, null while nobody listens.
    let sampled: number | null = null;
    while (this.running) {
      try {
        const s = await reader.next(seq, 500);
        seq = s.seq;
        sendSetpoints(this.joints, s.value, s.torque_enabled, this.o.sessions, this.lastServoUs);
        this.lastSetpoints = s.value;
        this.setpointsSent++;
        if (this.listenerCount('setpoints')) this.emit('setpoints', s.value, s.torque_enabled);
        sampled = this.tap.active ? this.sampleThrough(reader, sampled, s) : null;
      } catch {
        // No setpoints for 500 ms: the loop stopped; the MCUs' link watchdogs take outputs to their defaults.
      }
    }
  }

  /**
   * Recording-tap samples for every tick after `last` through `s`. The wire takes only the newest setpoints, but a
   * recording keeps every tick: those the pump did not see (its event loop was busy) come from the loop's history with
   * their own setpoints and times, and this moment's observation, teleop command, skill and controller (all kept on this
   * same event loop, so they are what those ticks would have been sampled with). Returns the tick sampled last.
   */
  private sampleThrough(reader: SetpointReader, last: number | null, s: SetpointSnapshot): number {
    const now = { names: this.joints.map((j) => j.name), obs: this.observation(), teleop: this.teleopCmd, active: this.skillsRun.active, control: this.controller() };
    const emit = (t: SetpointSnapshot) =>
      this.tap.emit(tapSample({ ...now, t_ms: monoToPerf_ms(t.stamp_ns), tick: t.tick, value: t.value, torque: t.torque_enabled }), (e) =>
        this.emit('notice', { level: 'error', source: 'recording tap', text: `a sample listener threw: ${e.message}` }),
      );
    const { ticks, lost } = last === null ? { ticks: [], lost: 0 } : reader.between(last, s.tick);
    for (const h of ticks) emit(h);
    if (lost) this.emit('notice', { level: 'warn', source: 'recording tap', text: `${lost} ticks before tick ${s.tick} were missed and are older than the loop's history (${HISTORY_TICKS} ticks): the recording lacks them` });
    emit(s);
    return s.tick;
  }

  private controller(): Controller {
    const a = this.skillsRun.active;
    if (this.latch.latched) return 'estop';
    if (this.teleopCmd) return 'teleop';
    if (a) return this.policySkills.has(a.skill) ? 'policy' : 'skill';
    return 'idle';
  }

  /** The recording tap: `fn` gets one sample per control tick (see recording-tap.ts); returns the function that stops it. */
  onSample(fn: SampleListener): () => void {
    return this.tap.listen(fn);
  }

  private async observe(): Promise<void> {
    if (!this.loop) return;
    const p = this.perception.perceive();
    // Nothing to see (odometry only): the skills keep the objects they were started with.
    if (!p.objects.length && p.held_id === null) return;
    await this.loop.selectController('observe', p).catch(() => {});
  }

  /** Runs one skill to its end; resolves with its final status (done, failed with the reason, timeout, cancelled). */
  async runSkill(name: string, args: unknown): Promise<SkillStatus> {
    if (!this.loop) throw new Error('the runtime is not started');
    this.latch.refuseWhileLatched(`starting "${name}"`);
    const { request_id, ended } = this.skillsRun.begin(args);
    const p = this.perception.perceive();
    const observation = p.objects.length || p.held_id !== null ? { ...p } : undefined;
    const ack = await this.loop.selectController('skill', { name, args, observation, request_id });
    if (!ack.ok) {
      this.skillsRun.refused(request_id);
      throw new Error(ack.error ?? `skill ${name} refused`);
    }
    this.teleopCmd = null;
    return ended;
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
    const entry = correctionEntry({ phrase, correction, source, task: this.task, active: this.skillsRun.activeNow(), obs: this.observation() });
    if (this.o.correction_log) appendCorrection(this.o.correction_log, entry);
    this.tap.event({ kind: 'correction', entry });
    this.emit('correction', entry);
    return entry;
  }

  /**
   * E-stop: every MCU gets its estop frame at once (outputs to their defaults at receipt, disarmed until re-armed),
   * then the envelope latches at its next tick and the skill and teleop are dropped, so nothing resumes on clear.
   */
  async estop(reason: string): Promise<void> {
    const mcus = estopAll(this.o.sessions);
    for (const id of mcus.armed) this.estopDisarmed.add(id);
    void mcus.unconfirmed.then((bad) => {
      for (const b of bad) this.emit('notice', { level: 'error', source: b.id, text: `e-stop: ${b.error}` });
    });
    const was = this.latch.latch(reason);
    const ack = await this.loop!.estop(reason);
    if (!ack.ok) {
      this.latch.restore(was);
      throw new Error(ack.error ?? 'e-stop refused');
    }
    this.teleopCmd = null;
    await this.loop!.selectController('hold');
  }

  /**
   * Clears the e-stop: re-arms the MCUs the e-stop disarmed (while the envelope still holds every output at its safe
   * default; refused while an e-stop input is held, and then the latch stays), then releases the envelope's latch.
   */
  async clearEstop(): Promise<void> {
    for (const id of [...this.estopDisarmed]) {
      await this.o.sessions.get(id)?.arm('clearEstop');
      this.estopDisarmed.delete(id);
    }
    const ack = await this.loop!.clear();
    if (!ack.ok) throw new Error(ack.error ?? 'clear refused');
    this.latch.clear();
  }

  /** Teleop takeover. Each call is also the operator's heartbeat: the envelope stops teleop motion 250 ms after the last one. */
  async teleop(cmd: TeleopCommand): Promise<void> {
    this.latch.refuseWhileLatched('teleop');
    this.loop!.heartbeat('teleop');
    const ack = await this.loop!.selectController('teleop', { position_rad: cmd.position_rad, velocity_radps: cmd.velocity_radps });
    if (!ack.ok) throw new Error(ack.error ?? 'teleop refused');
    this.teleopCmd = cmd;
  }

  async releaseTeleop(): Promise<void> {
    await this.loop!.selectController('teleop_release');
    this.teleopCmd = null;
  }

  /** Arms every MCU; a session that is reconnecting (e.g. after a host stall) is given timeout_ms to come back first.
   *  `decidedBy` is logged when this re-arms after a watchdog trip or a reconnect. */
  arm(decidedBy?: string, timeout_ms = 5000): Promise<void> {
    return armAll(this.o.sessions, timeout_ms, decidedBy);
  }

  disarm(): Promise<void> {
    return disarmAll(this.o.sessions);
  }

  setTask(task: string | null): void {
    this.task = task;
  }

  /** What the skills see now: base pose, joints, perceived objects, what is held. */
  observation(): Observation {
    return { base: this.perception.base(), joints: this.readJoints(), ...this.perception.perceive() };
  }

  snapshot(): RobotSnapshot {
    const setpoints: Record<string, number> = {};
    if (this.lastSetpoints) this.joints.forEach((j, i) => (setpoints[j.name] = this.lastSetpoints![i]!));
    const armed: Record<string, boolean> = {};
    for (const [id, s] of this.o.sessions) armed[id] = s.armed;
    const l = this.latch.latched;
    return {
      robot: this.robotId,
      at_ms: Date.now(),
      mode: l ? 'estop' : this.teleopCmd ? 'teleop' : this.skillsRun.active ? 'skill' : 'idle',
      estop: { latched: l !== null, reason: l?.reason ?? null },
      stalled: [...this.latch.stalled].map(([joint, reason]) => ({ joint, reason })),
      armed,
      observation: this.observation(),
      setpoints,
      active_skill: this.skillsRun.activeNow(),
      task: this.task,
      recent_failures: [...this.skillsRun.recentFailures],
    };
  }

  /** Every skill with its affordance now; a skill whose args are missing or bad (for it) gets null with no guess. */
  skills(argsBySkill: Record<string, unknown> = {}): SkillInfo[] {
    this.toolsCache ??= this.registry.tools();
    return skillInfos(this.registry, this.toolsCache, this.observation(), this.o.geometry, argsBySkill);
  }

  linkHealth(): Record<string, LinkStats> {
    return Object.fromEntries([...this.o.sessions].map(([id, s]) => [id, s.stats()]));
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.perceptionTimer) clearInterval(this.perceptionTimer);
    this.channel.close();
    await this.loop?.stop();
  }
}
