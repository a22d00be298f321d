// One MCU over one Transport: the session's lifecycle (connect, link loss, reconnect, close) and its public calls
// (commands, setpoints, arm, ping, stats). The parts live beside it: handshake.ts, send-window.ts (seq/ack/retransmit),
// pending.ts (outstanding requests), receive.ts (frame routing), keepalive.ts (heartbeat, telemetry monitor),
// reconnect.ts (backoff), health.ts (degraded), telemetry.ts (state and loss accounting), estop-sender.ts (the e-stop
// frame outside the window). Over 300 lines because the constructor wires those parts to one another (about 60 lines of
// closures over this session's state); moved elsewhere, that wiring would need the session's privates exposed.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONSTANTS, FRAME } from '../protocol/messages.ts';
import { FrameDecoder } from '../protocol/frame.ts';
import { encodeMessage, messageDef, type Decoded } from '../protocol/codec.ts';
import { PROTO_HASH, type AnyMessages, type HostMessages } from '../protocol/messages.gen.ts';
import type { Transport } from './transport.ts';
import { LinkError } from './errors.ts';
import { SendWindow } from './send-window.ts';
import { TelemetryTracker, type McuState } from './telemetry.ts';
import type { Identity } from './identity.ts';
import { wiringConfig, type ConfigItem } from './wiring-config.ts';
import { isArmed, linkStats } from './link-stats.ts';
import { PendingTable } from './pending.ts';
import { configure, identify, type HandshakeLink } from './handshake.ts';
import { routeFrame } from './receive.ts';
import { McuFanout } from './fanout.ts';
import { Keepalive } from './keepalive.ts';
import { reconnectLoop } from './reconnect.ts';
import { LinkHealth } from './health.ts';
import { RTO_MIN_MS } from './rtt.ts';
import { sendEstop } from './estop-sender.ts';
import type { LinkStats, SessionEvents, SessionOptions, SessionState } from './session-types.ts';

export type { LinkStats, McuErrorReport, McuEvent, SessionEvents, SessionOptions, SessionState } from './session-types.ts';

export class McuSession extends EventEmitter<SessionEvents> {
  readonly port: string;
  state: SessionState = 'idle';
  /** The MCU's identify_reply from the last handshake. */
  identity: Identity | null = null;

  private readonly t: Transport;
  private readonly o: Required<Omit<SessionOptions, 'transport' | 'node' | 'board'>>;
  private readonly health: LinkHealth;
  private readonly config: ConfigItem[];
  private readonly decoder = new FrameDecoder();
  private readonly tracker = new TelemetryTracker();
  private readonly window: SendWindow;
  private readonly pending = new PendingTable();
  private readonly keepalive: Keepalive;
  private readonly sink: McuFanout;
  private readonly handshake: HandshakeLink;
  private armedWanted = false;
  /** Set when the link came back from a loss while armed: the next arm() is a decision to resume, logged as such. */
  private disarmedBy: string | null = null;
  private lastSendMs = 0;
  private reconnects = 0;
  private nextToken = 1;
  private wakeReconnect: (() => void) | null = null;

  constructor(readonly options: SessionOptions) {
    super();
    this.t = options.transport;
    this.port = this.t.name;
    const telemetryPeriodMs = 1000 / options.node.telemetry_hz;
    this.o = {
      rearmAfterReconnect: options.rearmAfterReconnect ?? '',
      reconnect: options.reconnect ?? true,
      expectedProtoHash: options.expectedProtoHash ?? PROTO_HASH,
      identify_timeout_ms: options.identify_timeout_ms ?? 2500,
      telemetry_timeout_ms: options.telemetry_timeout_ms ?? Math.max(500, 50 * telemetryPeriodMs),
      status_hz: options.status_hz ?? 20,
      reconnect_backoff_ms: options.reconnect_backoff_ms ?? [100, 2000],
      log: options.log ?? ((line) => console.warn(line)),
    };
    const watchdogMs = options.node.watchdog_ms;
    this.health = new LinkHealth(watchdogMs, this.port, this.o.log);
    // Built now so a wiring that cannot be expressed fails at construction, before any port is touched.
    this.config = wiringConfig(options.node, options.board, { status_hz: this.o.status_hz });
    this.window = new SendWindow({
      write: (b) => this.write(b),
      onAcked: (seq) => this.pending.acked(seq, this.window.rtt.rtoMs),
      onGiveUp: (seq) => this.linkLost(`frame ${seq} unacked after repeated retransmission`),
      streamAckDelayMs: () => telemetryPeriodMs,
      // A quarter of the watchdog window: the oldest frame is resent at least ~3 times before the MCU trips, where
      // Klipper's 5 s cap let a link at 1 % byte corruption go silent for seconds (issue 10).
      rtoMaxMs: Math.max(RTO_MIN_MS, watchdogMs / 4),
      // One doubling: a timeout that came from a late ack, not a lost frame, gets one longer wait. More would only
      // leave a lost frame unsent for longer: the bytes in flight are bounded by the MCU's buffer, so repeated
      // timeouts on a serial line mean noise, not congestion, and only the oldest frame is resent on each (issue 10:
      // at 1 % corruption + drop + duplication the oldest frame waited over 1 s at a 2 s watchdog's 500 ms cap).
      rtoMaxBackoff: 2,
    });
    this.keepalive = new Keepalive({
      watchdogMs,
      telemetry_timeout_ms: this.o.telemetry_timeout_ms,
      lastSendMs: () => this.lastSendMs,
      lastTelemetryMs: () => this.sink.lastTelemetryMs,
      sendHeartbeat: () => { if (this.sink.linkUp) this.window.send(encodeMessage('heartbeat', {}), true, undefined, 'heartbeat'); },
      telemetryLost: (silentMs) => this.linkLost(`no telemetry for ${Math.round(silentMs)} ms`),
      onTick: () => this.checkHealth(),
    });
    this.sink = new McuFanout({
      port: this.port, board: options.board, emitter: this, tracker: this.tracker, pending: this.pending,
      connected: () => this.up(),
      mcuRebooted: (reason) => this.linkLost(reason, true),
      ack: (ack) => this.window.ack(ack),
      nak: (ack, droppedSeq) => this.window.nak(ack, droppedSeq),
    });
    this.handshake = {
      port: this.port, board: options.board, node: options.node,
      expectedProtoHash: this.o.expectedProtoHash, identify_timeout_ms: this.o.identify_timeout_ms,
      window: this.window,
      write: (b) => this.write(b),
      transportOpen: () => this.t.isOpen,
      closed: () => this.state === 'closed',
      setIdentifyWaiter: (w) => { this.sink.identifyWaiter = w; },
      command: (name, fields) => this.command(name, fields),
    };
    this.t.onData((bytes) => this.decoder.push(bytes, (f) => routeFrame(f, this.sink)));
    this.t.onClose((err) => this.onTransportClose(err));
  }

  /** Newest telemetry + status snapshot, or null before the first telemetry frame. */
  get mcuState(): McuState | null {
    return this.tracker.state;
  }

  /** Opens the transport, identifies and checks the MCU, stores its node id if empty, and configures it from the
   *  wiring. Leaves it disarmed: call arm(). Rejects with a LinkError that says what to do. */
  async connect(): Promise<Identity> {
    if (this.state !== 'idle') throw new LinkError('closed', `session on ${this.port} is ${this.state}, cannot connect`);
    this.state = 'connecting';
    try {
      if (!this.t.isOpen) await this.t.open();
      const id = await this.establish();
      this.state = 'connected';
      this.health.reset();
      this.keepalive.start();
      return id;
    } catch (e) {
      this.failPending(e as Error);
      if (this.t.isOpen) await this.t.close().catch(() => undefined);
      this.state = 'idle';
      throw e;
    }
  }

  /** Sends one command reliably. Resolves on ack with the reply message (pong) or null; rejects with
   *  CommandRefused when the MCU answers `error`, or LinkError when the link goes down first. */
  command<K extends keyof HostMessages>(name: K, fields: HostMessages[K]): Promise<Decoded | null> {
    return this.enqueue(name, fields).done;
  }

  private enqueue<K extends keyof HostMessages>(name: K, fields: HostMessages[K]) {
    const fail = (e: unknown) => ({ p: null, done: Promise.reject(e) as Promise<Decoded | null> });
    if (!this.sink.linkUp) return fail(new LinkError('disconnected', `cannot send ${name}: no link to ${this.port} (state ${this.state})`));
    const def = messageDef(name);
    if (def.dir !== 'h2m' || def.stream) return fail(new TypeError(`${name} is not a command (use setMotors for streams)`));
    let payload: Uint8Array;
    try {
      payload = encodeMessage(name, fields as AnyMessages[K]);
    } catch (e) {
      return fail(e);
    }
    const token = name === 'ping' ? (fields as HostMessages['ping']).token : undefined;
    const { p, done } = this.pending.create(name, def.id, token);
    this.window.send(payload, false, (seq) => this.pending.bind(p, seq, performance.now()));
    return { p, done };
  }

  /** Setpoints for all motor channels (missing ones OFF). Fire-and-forget but sequenced: a lost frame is resent,
   *  and a newer setpoint replaces one still waiting for room. Returns false when there is no link. */
  setMotors(modes: readonly number[], values: readonly number[]): boolean {
    if (!this.sink.linkUp) return false;
    const mode = [0, 1, 2, 3].map((i) => modes[i] ?? CONSTANTS.MODE.OFF);
    const value = [0, 1, 2, 3].map((i) => values[i] ?? 0);
    this.window.send(encodeMessage('set_motors', { mode, value }), true, undefined, 'set_motors');
    return true;
  }

  /** E-stop at once: the MCU puts its outputs to their defaults at receipt and stays disarmed until arm(). The frame
   *  skips the send window (estop-sender.ts); resolves when the MCU confirms, rejects if the link is down. */
  estop(): Promise<void> {
    if (!this.sink.linkUp) return Promise.reject(new LinkError('disconnected', `cannot send estop: no link to ${this.port} (state ${this.state}); its link watchdog stops the outputs`));
    this.armedWanted = false;
    return sendEstop({
      port: this.port,
      write: (b) => this.write(b),
      seq: () => this.window.nextSeq,
      srttMs: () => this.window.rtt.stats().srttMs,
      linkUp: () => this.sink.linkUp,
      onEvent: (l) => { this.on('event', l); return () => this.off('event', l); },
      giveUpMs: this.options.node.watchdog_ms,
    });
  }

  /** Arms the MCU. After a watchdog trip or a reconnect this is the decision to resume, so it is logged with who took it. */
  async arm(decidedBy = 'the caller of arm()'): Promise<void> {
    const after = this.stats().watchdogTripped ? 'a watchdog trip' : this.disarmedBy;
    if (after) this.o.log(`link ${this.port}: re-arming after ${after}, decided by ${decidedBy}`);
    await this.command('arm', {});
    this.armedWanted = true;
    this.disarmedBy = null;
  }

  /** The link came back from a loss while armed, and nobody has re-armed since: the MCU is disarmed. */
  get awaitingRearm(): boolean {
    return this.disarmedBy !== null;
  }

  async disarm(): Promise<void> {
    this.armedWanted = false;
    await this.command('disarm', {});
  }

  /** [us] round trip of one ping/pong, from first transmission to the pong. */
  async ping(): Promise<number> {
    const token = this.nextToken++ >>> 0;
    const { p, done } = this.enqueue('ping', { token });
    await done;
    const ackedAt = performance.now();
    return Math.round(((p!.replyAtMs ?? ackedAt) - p!.sentAtMs) * 1000);
  }

  /** Whether the MCU is armed: stats().armed without building the rest of the stats (the bridge asks 150 times a second). */
  get armed(): boolean {
    return isArmed(this.tracker.state?.faults ?? null);
  }

  stats(): LinkStats {
    return linkStats({
      port: this.port, state: this.state, window: this.window.stats(), rtt: this.window.rtt.stats(), decoder: this.decoder.stats,
      decodeErrors: this.sink.decodeErrors, telemetry: this.tracker.stats(), faults: this.tracker.state?.faults ?? null,
      reconnects: this.reconnects, degradations: this.health.degradations, degradedReason: this.health.reason,
    });
  }

  /** Disarms if possible, stops timers and closes the transport. Every outstanding request fails as closed. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.sink.linkUp && this.up()) {
      await Promise.race([this.disarm().catch(() => undefined), sleep(200)]);
    }
    this.state = 'closed';
    this.keepalive.stop();
    this.window.stop();
    this.wakeReconnect?.();
    this.failPending(new LinkError('closed', `session on ${this.port} closed`));
    if (this.t.isOpen) await this.t.close().catch(() => undefined);
  }

  // ---- handshake ----

  private async establish(): Promise<Identity> {
    this.sink.linkUp = false;
    const id = await identify(this.handshake);
    this.identity = id;
    this.sink.handshakeDone(performance.now());
    await configure(this.handshake, id, this.config);
    return id;
  }

  // ---- health, send path, link loss ----

  /** Connected, healthy or not. */
  private up(): boolean {
    return this.state === 'connected' || this.state === 'degraded';
  }

  private checkHealth(): void {
    if (!this.up()) return;
    const tripped = ((this.tracker.state?.faults ?? 0) & CONSTANTS.FAULT.WATCHDOG_TRIPPED) !== 0;
    const change = this.health.check({ oldestUnackedMs: this.window.oldestAgeMs(), watchdogTripped: tripped }, performance.now());
    if (change === null) return;
    this.state = change === '' ? 'connected' : 'degraded';
    this.emit('health', change || null);
  }

  // ---- send path, link loss ----

  private write(bytes: Uint8Array): void {
    if (!this.t.isOpen) return; // the close handler takes it from here
    try {
      this.t.write(bytes);
      this.lastSendMs = performance.now();
    } catch {
      // A write on a port that just died: onClose follows and starts the reconnect.
    }
  }

  private onTransportClose(err?: Error): void {
    if (this.up()) this.linkLost(err ? err.message : `${this.port} closed`);
    else if (this.sink.linkUp || this.sink.identifyWaiter) {
      this.failPending(new LinkError('disconnected', `${this.port} closed${err ? `: ${err.message}` : ''}`));
    }
  }

  /** The link is down: nothing more goes out, and every outstanding request fails with `err`. */
  private failPending(err: Error): void {
    this.sink.linkUp = false;
    this.window.reset(this.window.nextSeq, FRAME.MAX_BYTES);
    this.pending.failAll(err);
  }

  /** Link lost: fail what is outstanding, tell listeners, and (unless disabled) start reconnecting. */
  private linkLost(reason: string, mcuRebooted = false): void {
    if (!this.up()) return;
    this.state = 'reconnecting';
    this.keepalive.stop();
    this.failPending(new LinkError('disconnected', `link to ${this.port} lost: ${reason}`));
    this.tracker.forgetState();
    const wasArmed = this.armedWanted;
    this.emit('disconnected', { reason });
    if (!this.o.reconnect) {
      this.state = 'idle';
      void this.t.close().catch(() => undefined);
      return;
    }
    const wanted = () => this.state === 'reconnecting';
    void reconnectLoop({
      backoffMs: this.o.reconnect_backoff_ms,
      immediateFirst: mcuRebooted,
      wanted,
      failed: (e) => { this.sink.linkUp = false; this.emit('reconnect_failed', e); },
      attempt: async (first) => {
        // Reopen unless the port is fine and only the MCU restarted: a vanished USB device leaves a dead handle.
        if (this.t.isOpen && !(first && mcuRebooted)) await this.t.close();
        if (!this.t.isOpen) await this.t.open();
        if (!wanted()) return;
        const id = await this.establish();
        this.armedWanted = false;
        if (wasArmed) {
          this.disarmedBy = 'a reconnect';
          if (this.o.rearmAfterReconnect) await this.arm(this.o.rearmAfterReconnect);
          else {
            // A board unplugged and plugged back may have been moved or rewired: disarmed (whatever the MCU kept
            // through the loss) until someone decides.
            await this.command('disarm', {});
            this.o.log(`link ${this.port}: back after a reconnect and left disarmed: nobody has decided to re-arm it (re-arm from the dashboard or cmd/arm)`);
          }
        }
        if (!wanted()) return;
        this.state = 'connected';
        this.health.reset();
        this.reconnects++;
        this.keepalive.start();
        this.emit('reconnected', id);
      },
    }, (w) => { this.wakeReconnect = w; });
  }
}
