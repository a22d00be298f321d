// Commands from MQTT into RobotControl: parse and refuse (error reply + event, nothing changes: retained, stale, replayed, unknown names), e-stop ahead of everything queued, one reply per command on its response topic.
import type { RobotControl } from '../runtime/control.ts';
import { DashboardTeleoperator } from '../teleop/dashboard.ts';
import { TeleopDriver } from '../teleop/driver.ts';
import { replyOwner } from './acl.ts';
import { checkNames, type KnownNames } from './command-names.ts';
import { ReplayGuard } from './freshness.ts';
import { skillStatusPayload } from './payloads.ts';
import { COMMANDS, parseCommandPayload, REPLY_PREFIX, type CommandName, type RecordingPayload, type ReplyPayload } from './topics.ts';

/** A recorder the operator may drive over MQTT (ganglion record implements it); its status goes out on recording. */
export interface RecordingControl {
  status(): Omit<RecordingPayload, 'robot' | 'at_ms'>;
  /** Throws (with the reason) when the action does not apply now, e.g. discard with no episode running. */
  command(action: 'start' | 'stop' | 'discard', operator: string): void;
  /** Calls fn on every change of phase or episode; returns the function that stops it. */
  onChange(fn: () => void): () => void;
}

export interface IncomingCommand {
  topic: string;
  payload: Buffer;
  responseTopic?: string | undefined;
  correlationData?: Buffer | undefined;
  /** The broker delivered it from its retained store: a command that old never runs. */
  retain?: boolean;
}

export interface CommandSink {
  /** Publishes a reply on an already-checked reply topic, echoing the correlation data. */
  reply(topic: string, payload: ReplyPayload, correlationData?: Buffer): void;
  event(e: { level: 'info' | 'warn' | 'error'; kind: string; text: string; topic?: string }): void;
}

/** A response topic the bridge will publish to: under ganglion/_reply/<user>/, concrete, of sane length. */
export function isReplyTopic(t: string): boolean {
  return t.length <= 512 && t.startsWith(REPLY_PREFIX) && !/[+#\u0000]/.test(t) && replyOwner(t) !== null;
}

const isCommand = (c: string): c is CommandName => (COMMANDS as readonly string[]).includes(c);

export interface CommandHandlerOptions {
  /** [ms] freshness window (default COMMAND_WINDOW_MS). */
  window_ms?: number;
  /** Joints and skills the robot has: a command naming another is refused with the name. */
  known?: KnownNames;
  /** Refusal events published per second at most (the rest are counted into the next one): a flood of bad commands must not become a flood of events. */
  events_per_s?: number;
  now_ms?: () => number;
}

export class CommandHandler {
  private readonly queue: { name: CommandName; value: unknown; msg: IncomingCommand; reply: string | null; who: string }[] = [];
  private draining = false;
  /** [ms] performance.now() of the last teleop command: the bridge releases teleop when its connection drops soon after. */
  lastTeleop_ms = -Infinity;
  received = 0;
  refused = 0;
  /** Refusal events not published (over events_per_s); each next published one says how many. */
  eventsSuppressed = 0;
  private readonly guard: ReplayGuard;
  private readonly now: () => number;
  private tokens: number;
  private tokensAt = performance.now();
  private unreported = 0;
  /** The dashboard's teleop, behind the teleop seam: each message is read at once (the page heartbeats at 20 Hz). */
  readonly dashboardTeleop = new DashboardTeleoperator();
  private readonly teleopDriver: TeleopDriver;

  constructor(
    private readonly robot: RobotControl,
    private readonly cmdPrefix: string,
    private readonly sink: CommandSink,
    private readonly recording: RecordingControl | null = null,
    private readonly o: CommandHandlerOptions = {},
  ) {
    this.guard = new ReplayGuard(o.window_ms);
    this.now = o.now_ms ?? Date.now;
    this.tokens = o.events_per_s ?? 20;
    this.teleopDriver = new TeleopDriver(robot, this.dashboardTeleop);
  }

  get window_ms(): number {
    return this.guard.window_ms;
  }

  /**
   * Synchronous entry for every message on cmd/+. An e-stop acts here, at once; anything else is queued and
   * started on the next turn of the event loop, so an e-stop that arrived in the same batch of packets still
   * goes first, and no command ever waits for a running action to end (actions reply when they end, on their own).
   */
  onMessage(msg: IncomingCommand): void {
    this.received++;
    const name = msg.topic.startsWith(this.cmdPrefix) ? msg.topic.slice(this.cmdPrefix.length) : '';
    const rt = msg.responseTopic;
    const reply = rt !== undefined && isReplyTopic(rt) ? rt : null;
    const who = reply ? replyOwner(reply)! : 'mqtt';
    if (name === 'estop') return this.estop(msg, reply);
    if (!isCommand(name)) return this.refuse(msg, reply, name || '?', `unknown command "${name}" (commands: ${COMMANDS.join(', ')})`);
    if (rt !== undefined && reply === null) return this.refuse(msg, null, name, `${name}: response topic "${rt.slice(0, 100)}" is not under ${REPLY_PREFIX}<username>/`);
    if (msg.retain) return this.refuse(msg, reply, name, `${name}: arrived retained (from the broker's store, not sent now): not run; commands are never retained, send it without the retain flag`);
    const p = parseCommandPayload(name, msg.payload);
    if (!p.ok) return this.refuse(msg, reply, name, p.error);
    const stale = this.guard.check(name, p.value.id, p.value.at_ms, this.now());
    if (stale) return this.refuse(msg, reply, name, stale);
    const unknown = this.o.known ? checkNames(name, p.value, this.o.known) : null;
    if (unknown) return this.refuse(msg, reply, name, unknown);
    if (name === 'teleop') this.lastTeleop_ms = performance.now();
    this.queue.push({ name, value: p.value, msg, reply, who });
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => this.drain());
    }
  }

  /** Fails safe: an e-stop whose payload does not parse still stops the robot; only the reason is lost (and reported). */
  private estop(msg: IncomingCommand, reply: string | null): void {
    const parsed = parseCommandPayload('estop', msg.payload);
    // A stale, replayed or retained e-stop still stops (stopping is always safe); the reply says what was wrong with it.
    const flaw = !parsed.ok ? null
      : msg.retain ? 'estop: arrived retained (from the broker\'s store)'
      : this.guard.check('estop', parsed.value.id, parsed.value.at_ms, this.now());
    const p: { ok: true; value: { reason: string } } | { ok: false; error: string } = flaw ? { ok: false, error: flaw } : parsed;
    const reason = p.ok ? p.value.reason : parsed.ok ? parsed.value.reason : 'e-stop over MQTT (payload refused)';
    const done = this.robot.estop(reason);
    // Queued commands were sent before the e-stop was pressed: they must not run after it.
    const dropped = this.queue.splice(0);
    for (const q of dropped) this.answer(q.reply, q.msg, { ok: false, command: q.name, error: `${q.name}: dropped, an e-stop arrived before it ran` });
    done.then(
      () => {
        if (!p.ok) {
          this.refused++;
          this.limitedEvent({ level: 'warn', kind: 'command_error', text: `${p.error} (the e-stop was applied anyway)`, topic: msg.topic });
        }
        this.answer(reply, msg, p.ok ? { ok: true, command: 'estop' } : { ok: true, command: 'estop', error: `${p.error} (the e-stop was applied anyway)` });
      },
      (e: Error) => {
        this.sink.event({ level: 'error', kind: 'estop', text: `e-stop failed: ${e.message}`, topic: msg.topic });
        this.answer(reply, msg, { ok: false, command: 'estop', error: e.message });
      },
    );
  }

  private refuse(msg: IncomingCommand, reply: string | null, command: string, error: string): void {
    this.refused++;
    this.limitedEvent({ level: 'warn', kind: 'command_error', text: error, topic: msg.topic });
    this.answer(reply, msg, { ok: false, command, error });
  }

  /** A refusal event, at most events_per_s of them (token bucket); the next one out counts those left out. */
  private limitedEvent(e: Parameters<CommandSink['event']>[0]): void {
    const rate = this.o.events_per_s ?? 20;
    const t = performance.now();
    this.tokens = Math.min(rate, this.tokens + ((t - this.tokensAt) / 1000) * rate);
    this.tokensAt = t;
    if (this.tokens < 1) {
      this.eventsSuppressed++;
      this.unreported++;
      return;
    }
    this.tokens--;
    const more = this.unreported;
    this.unreported = 0;
    this.sink.event(more ? { ...e, text: `${e.text} (and ${more} more refused commands not reported one by one)` } : e);
  }

  private answer(reply: string | null, msg: IncomingCommand, payload: ReplyPayload): void {
    if (reply) this.sink.reply(reply, payload, msg.correlationData);
  }

  private drain(): void {
    this.draining = false;
    for (const q of this.queue.splice(0)) {
      // Each run() posts its request to the executor before its first await, so arrival order is kept.
      this.run(q.name, q.value, q.who).then(
        (r) => this.answer(q.reply, q.msg, r),
        (e: Error) => {
          this.refused++;
          this.sink.event({ level: 'warn', kind: 'command_refused', text: `${q.name}: ${e.message}`, topic: q.msg.topic });
          this.answer(q.reply, q.msg, { ok: false, command: q.name, error: e.message });
        },
      );
    }
  }

  private async run(name: CommandName, v: any, who: string): Promise<ReplyPayload> {
    const r = this.robot;
    switch (name) {
      case 'action': {
        if (v.task !== undefined) r.setTask(v.task);
        const s = await r.runSkill(v.skill, v.args);
        const result = skillStatusPayload(r.robotId, s);
        return s.state === 'done' ? { ok: true, command: name, result } : { ok: false, command: name, error: `${s.skill} ${s.state}${s.reason ? `: ${s.reason}` : ''}`, result };
      }
      case 'cancel':
        await r.cancel(v.reason);
        break;
      case 'correction': {
        const entry = await r.correct(v.phrase, who);
        return { ok: true, command: name, result: entry.correction };
      }
      case 'clear':
        await r.clearEstop();
        break;
      case 'teleop':
        this.dashboardTeleop.command({ ...(v.position_rad ? { position_rad: v.position_rad } : {}), ...(v.velocity_radps ? { velocity_radps: v.velocity_radps } : {}), operator: who });
        await this.teleopDriver.readNow();
        break;
      case 'teleop_release':
        this.dashboardTeleop.release();
        await this.teleopDriver.readNow();
        break;
      case 'arm':
        await r.arm(`${who} (cmd/arm)`);
        break;
      case 'disarm':
        await r.disarm();
        break;
      case 'recording':
        if (!this.recording) throw new Error('no recorder is attached to this robot: start one with `ganglion record --mqtt`');
        this.recording.command(v.action, who);
        return { ok: true, command: name, result: this.recording.status() };
      case 'estop':
        break; // handled on arrival, never queued
    }
    return { ok: true, command: name };
  }
}
