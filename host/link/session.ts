// One MCU over one Transport: handshake, configuration from the wiring, reliable commands (go-back-N with
// adaptive retransmission), setpoint streams, heartbeats, telemetry state, link statistics, and reconnection.
import { EventEmitter } from 'node:events';
import { CONSTANTS, FRAME, MESSAGES } from '../protocol/messages.ts';
import { FrameDecoder, encodeFrame, type Frame } from '../protocol/frame.ts';
import { decodePayload, encodeMessage, messageDef, type Decoded } from '../protocol/codec.ts';
import { PROTO_HASH, type AnyMessages, type HostMessages } from '../protocol/messages.gen.ts';
import type { Board } from '../hw/board.ts';
import type { NodeWiring } from '../hw/robot.ts';
import type { Transport } from './transport.ts';
import { CommandRefused, LinkError, errArgIsIndex, errArgIsPin, errCodeText } from './errors.ts';
import { SendWindow, seqDist, type SendWindowStats } from './send-window.ts';
import { TelemetryTracker, type McuState, type TelemetryStats } from './telemetry.ts';
import { checkIdentity, type Identity } from './identity.ts';
import { configRefusalText, wiringConfig, type ConfigItem } from './wiring-config.ts';
import { boardPinName, encodeNodeId, eventName, eventText, faultNames } from './texts.ts';
import type { RttStats } from './rtt.ts';

export interface SessionOptions {
  transport: Transport;
  node: NodeWiring;
  board: Board;
  /** Re-arm after a reconnect if the host had armed before the link was lost. Default false: a human decides. */
  autoRearm?: boolean;
  /** Reopen and re-handshake when the link is lost. Default true. */
  reconnect?: boolean;
  /** Protocol hash this host speaks; only tests change it. */
  expectedProtoHash?: number;
  /** [ms] identify retries stop after this; an Uno resets when the port opens and its bootloader waits ~1 s. */
  identifyTimeoutMs?: number;
  /** [ms] no telemetry for this long while connected means the link is lost. */
  telemetryTimeoutMs?: number;
  /** [Hz] requested status frame rate. */
  statusHz?: number;
  /** [ms] reconnect attempts back off from the first to the second value. */
  reconnectBackoffMs?: [number, number];
}

export type SessionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface McuEvent {
  code: number;
  name: string;
  arg: number;
  text: string;
}

/** An `error` from the MCU that answers no command of ours (e.g. a refused set_motors). */
export interface McuErrorReport {
  code: number;
  msgId: number;
  arg: number;
  text: string;
}

/** The sender's counters (frames sent, retransmits, timeouts, NAKs, stale acks, frames in flight) plus the rest. */
export interface LinkStats extends Omit<SendWindowStats, 'inFlightBytes' | 'queued'> {
  port: string;
  state: SessionState;
  rtt: RttStats;
  /** Host-side receive errors: bad CRC, bad length, missing SYNC, dropped bytes, payloads that did not decode. */
  host: { frames: number; crcErrors: number; lengthErrors: number; syncErrors: number; bytesDropped: number; decodeErrors: number };
  telemetry: TelemetryStats;
  faults: string[];
  armed: boolean;
  watchdogTripped: boolean;
  reconnects: number;
}

type SessionEvents = {
  telemetry: [McuState];
  status: [McuState];
  /** Fault bits changed: new bits, previous bits. */
  faults: [number, number];
  event: [McuEvent];
  mcu_error: [McuErrorReport];
  disconnected: [{ reason: string }];
  reconnected: [Identity];
  reconnect_failed: [Error];
};

interface Pending {
  name: string;
  msgId: number;
  seq: number | null;
  sentAtMs: number;
  /** For ping: the token whose pong resolves it. */
  token?: number;
  replyAtMs?: number;
  grace?: NodeJS.Timeout;
  resolve: (reply: Decoded | null) => void;
  reject: (err: Error) => void;
}

export class McuSession extends EventEmitter<SessionEvents> {
  readonly port: string;
  state: SessionState = 'idle';
  /** The MCU's identify_reply from the last handshake. */
  identity: Identity | null = null;

  private readonly t: Transport;
  private readonly o: Required<Omit<SessionOptions, 'transport' | 'node' | 'board'>>;
  private readonly config: ConfigItem[];
  private readonly decoder = new FrameDecoder();
  private readonly tracker = new TelemetryTracker();
  private readonly window: SendWindow;
  private readonly pending = new Map<number, Pending>();
  /** Handshake done and the send window is in step with the MCU. */
  private linkUp = false;
  private identifyWaiter: ((payload: Uint8Array, ack: number) => void) | null = null;
  private armedWanted = false;
  private lastSendMs = 0;
  private lastTelemetryMs = 0;
  private sawConfigured = false;
  private decodeErrors = 0;
  private reconnects = 0;
  private nextToken = 1;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private monitorTimer: NodeJS.Timeout | null = null;
  private wakeReconnect: (() => void) | null = null;

  constructor(readonly options: SessionOptions) {
    super();
    this.t = options.transport;
    this.port = this.t.name;
    const telemetryPeriodMs = 1000 / options.node.telemetry_hz;
    this.o = {
      autoRearm: options.autoRearm ?? false,
      reconnect: options.reconnect ?? true,
      expectedProtoHash: options.expectedProtoHash ?? PROTO_HASH,
      identifyTimeoutMs: options.identifyTimeoutMs ?? 2500,
      telemetryTimeoutMs: options.telemetryTimeoutMs ?? Math.max(500, 50 * telemetryPeriodMs),
      statusHz: options.statusHz ?? 20,
      reconnectBackoffMs: options.reconnectBackoffMs ?? [100, 2000],
    };
    // Built now so a wiring that cannot be expressed fails at construction, before any port is touched.
    this.config = wiringConfig(options.node, options.board, { statusHz: this.o.statusHz });
    this.window = new SendWindow({
      write: (b) => this.write(b),
      onAcked: (seq) => this.onAcked(seq),
      onGiveUp: (seq) => this.linkLost(`frame ${seq} unacked after repeated retransmission`),
      streamAckDelayMs: () => telemetryPeriodMs,
    });
    this.t.onData((bytes) => this.decoder.push(bytes, (f) => this.onFrame(f)));
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
      this.startTimers();
      return id;
    } catch (e) {
      this.linkUp = false;
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

  private enqueue<K extends keyof HostMessages>(name: K, fields: HostMessages[K]): { p: Pending | null; done: Promise<Decoded | null> } {
    const fail = (e: unknown) => ({ p: null, done: Promise.reject(e) });
    if (!this.linkUp) return fail(new LinkError('disconnected', `cannot send ${name}: no link to ${this.port} (state ${this.state})`));
    const def = messageDef(name);
    if (def.dir !== 'h2m' || def.stream) return fail(new TypeError(`${name} is not a command (use setMotors for streams)`));
    let payload: Uint8Array;
    try {
      payload = encodeMessage(name, fields as AnyMessages[K]);
    } catch (e) {
      return fail(e);
    }
    const p = { name, msgId: def.id, seq: null, sentAtMs: 0 } as Pending;
    if (name === 'ping') p.token = (fields as HostMessages['ping']).token;
    const done = new Promise<Decoded | null>((resolve, reject) => {
      p.resolve = resolve;
      p.reject = reject;
    });
    this.window.send(payload, false, (seq) => {
      p.seq = seq;
      p.sentAtMs = performance.now();
      this.pending.set(seq, p);
    });
    return { p, done };
  }

  /** Setpoints for all motor channels (missing ones OFF). Fire-and-forget but sequenced: a lost frame is resent,
   *  and a newer setpoint replaces one still waiting for room. Returns false when there is no link. */
  setMotors(modes: readonly number[], values: readonly number[]): boolean {
    if (!this.linkUp) return false;
    const mode = [0, 1, 2, 3].map((i) => modes[i] ?? CONSTANTS.MODE.OFF);
    const value = [0, 1, 2, 3].map((i) => values[i] ?? 0);
    this.window.send(encodeMessage('set_motors', { mode, value }), true, undefined, 'set_motors');
    return true;
  }

  async arm(): Promise<void> {
    await this.command('arm', {});
    this.armedWanted = true;
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

  stats(): LinkStats {
    const { inFlightBytes: _bytes, queued: _queued, ...w } = this.window.stats();
    const d = this.decoder.stats;
    const faults = this.tracker.state?.faults ?? 0;
    return {
      ...w,
      port: this.port,
      state: this.state,
      rtt: this.window.rtt.stats(),
      host: { frames: d.frames, crcErrors: d.crcErrors, lengthErrors: d.lengthErrors, syncErrors: d.syncErrors, bytesDropped: d.bytesDropped, decodeErrors: this.decodeErrors },
      telemetry: this.tracker.stats(),
      faults: faultNames(faults),
      armed: this.tracker.state !== null && (faults & (CONSTANTS.FAULT.DISARMED | CONSTANTS.FAULT.WATCHDOG_TRIPPED)) === 0,
      watchdogTripped: (faults & CONSTANTS.FAULT.WATCHDOG_TRIPPED) !== 0,
      reconnects: this.reconnects,
    };
  }

  /** Disarms if possible, stops timers and closes the transport. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.linkUp && this.state === 'connected') {
      await Promise.race([this.disarm().catch(() => undefined), sleep(200)]);
    }
    this.state = 'closed';
    this.linkUp = false;
    this.stopTimers();
    this.window.stop();
    this.wakeReconnect?.();
    this.failPending(new LinkError('closed', `session on ${this.port} closed`));
    if (this.t.isOpen) await this.t.close().catch(() => undefined);
  }

  // ---- handshake and configuration ----

  private async establish(): Promise<Identity> {
    const id = await this.identify();
    this.identity = id;
    this.tracker.mcuRestarted();
    this.sawConfigured = false;
    this.window.reset(this.window.nextSeq, id.rx_buffer_bytes);
    this.linkUp = true;
    this.lastTelemetryMs = performance.now();
    if (id.nodeId === '') await this.command('set_node_id', { node_id: encodeNodeId(this.options.node.id) });
    // A host that restarts must not inherit an armed MCU; configuring while armed would also move outputs.
    await this.command('disarm', {});
    for (const item of this.config) {
      try {
        await this.command(item.command.name, item.command.fields as never);
      } catch (e) {
        if (e instanceof CommandRefused) throw new LinkError('config', configRefusalText(this.port, item, e.mcuCode, e.arg, this.options.board));
        throw e;
      }
    }
    return id;
  }

  /** Sends identify (always accepted, resynchronises the MCU's expected seq) until answered or timed out. */
  private async identify(): Promise<Identity> {
    this.linkUp = false;
    const seq = this.window.nextSeq;
    this.window.reset(seq, FRAME.MAX_BYTES);
    // Every retry reuses the seq: a late duplicate then resets the MCU to the same expected seq, not a newer one.
    const frame = encodeFrame(seq, encodeMessage('identify', {}));
    const deadline = performance.now() + this.o.identifyTimeoutMs;
    let waitMs = 100;
    let tries = 0;
    try {
      while (performance.now() < deadline) {
        if (this.state === 'closed') throw new LinkError('closed', `session on ${this.port} closed`);
        const sentAt = performance.now();
        tries++;
        this.write(frame);
        const got = await new Promise<Uint8Array | null>((resolve) => {
          const timer = setTimeout(() => resolve(null), Math.min(waitMs, Math.max(1, deadline - performance.now())));
          this.identifyWaiter = (payload, ack) => {
            if (ack !== ((seq + 1) & 0xff)) return;
            clearTimeout(timer);
            resolve(payload);
          };
        });
        if (got) {
          const id = checkIdentity(got, { port: this.port, board: this.options.board, nodeId: this.options.node.id, expectedHash: this.o.expectedProtoHash });
          if (tries === 1) this.window.rtt.sample(performance.now() - sentAt);
          this.window.reset((seq + 1) & 0xff, id.rx_buffer_bytes);
          return id;
        }
        if (!this.t.isOpen) break;
        waitMs = Math.min(500, waitMs * 1.5);
      }
    } finally {
      this.identifyWaiter = null;
    }
    throw new LinkError('no_answer', `no answer from ${this.port} at ${this.options.board.baud} baud: is the Ganglion firmware flashed (\`ganglion flash\`) and the baud right?`);
  }

  // ---- receive path ----

  private onFrame(f: Frame): void {
    if (this.identifyWaiter && f.payload.length > 0 && f.payload[0] === messageDef('identify_reply').id) {
      this.identifyWaiter(f.payload, f.seq);
      return;
    }
    let msgs: Decoded[];
    try {
      msgs = decodePayload(f.payload);
    } catch {
      // CRC was right but the content is not ours (another protocol version, a bug): apply nothing, not even the ack.
      this.decodeErrors++;
      return;
    }
    const now = performance.now();
    for (const m of msgs) {
      switch (m.name) {
        case 'telemetry': {
          const prevFaults = this.tracker.state?.faults ?? null;
          const st = this.tracker.onTelemetry(m.fields, now);
          if (!st) break;
          this.lastTelemetryMs = now;
          if (this.linkUp) this.checkMcuReset(st.faults);
          this.emit('telemetry', st);
          if (prevFaults !== null && prevFaults !== st.faults) this.emit('faults', st.faults, prevFaults);
          break;
        }
        case 'status':
          if (this.tracker.onStatus(m.fields) && this.tracker.state) this.emit('status', this.tracker.state);
          break;
        case 'pong':
          for (const p of this.pending.values()) {
            if (p.token === m.fields.token && p.replyAtMs === undefined) {
              p.replyAtMs = now;
              this.settle(p, m);
              break;
            }
          }
          break;
        case 'error':
          this.onMcuError(m.fields, f.seq);
          break;
        case 'event': {
          const ev: McuEvent = { code: m.fields.code, name: eventName(m.fields.code), arg: m.fields.arg, text: eventText(m.fields.code, m.fields.arg) };
          this.emit('event', ev);
          if (m.fields.code === CONSTANTS.EVENT.BOOT && this.linkUp && this.state === 'connected') this.linkLost('MCU rebooted', true);
          break;
        }
        case 'identify_reply':
          break; // a late duplicate of the handshake's answer
        default:
          this.decodeErrors++; // a host->MCU message id coming back: echo or crossed wires
      }
    }
    if (this.linkUp) this.window.ack(f.seq, f.payload.length === 0);
  }

  /** An MCU that comes back UNCONFIGURED after it was configured rebooted even if its BOOT event was lost. */
  private checkMcuReset(faults: number): void {
    if (!(faults & CONSTANTS.FAULT.UNCONFIGURED)) this.sawConfigured = true;
    else if (this.sawConfigured && this.state === 'connected') this.linkLost('MCU came back unconfigured (it rebooted)', true);
  }

  private onMcuError(e: { code: number; msg_id: number; arg: number }, ack: number): void {
    // The MCU answers a frame right after applying it, so the refused command is normally the frame just before `ack`.
    let match = this.pending.get((ack - 1) & 0xff);
    if (!match || match.msgId !== e.msg_id) {
      match = undefined;
      for (const p of this.pending.values()) {
        if (p.seq !== null && p.msgId === e.msg_id && seqDist(p.seq, ack) <= 128) { match = p; break; }
      }
    }
    const msgName = MESSAGES.find((m) => m.id === e.msg_id)?.name ?? `message 0x${e.msg_id.toString(16)}`;
    const subject = errArgIsPin(e.code) ? `pin ${boardPinName(e.arg, this.options.board)}` : errArgIsIndex(e.code) ? `index ${e.arg}` : `arg ${e.arg}`;
    const text = `MCU on ${this.port} refused ${msgName}: ${subject}: ${errCodeText(e.code)}`;
    if (match) {
      this.pending.delete(match.seq!);
      clearTimeout(match.grace);
      match.reject(new CommandRefused(text, e.code, e.msg_id, e.arg));
    } else {
      this.emit('mcu_error', { code: e.code, msgId: e.msg_id, arg: e.arg, text });
    }
  }

  private settle(p: Pending, reply: Decoded | null): void {
    if (p.seq !== null) this.pending.delete(p.seq);
    clearTimeout(p.grace);
    p.resolve(reply);
  }

  private onAcked(seq: number): void {
    const p = this.pending.get(seq);
    if (!p) return;
    if (p.token === undefined) return this.settle(p, null);
    // A ping was applied; its pong normally rides in the same frame. If it was lost (or this ack answers a
    // replay, which the MCU does not re-answer), wait one RTO for it and then settle on the ack alone.
    if (!p.grace) p.grace = setTimeout(() => this.settle(p, null), this.window.rtt.rtoMs);
  }

  // ---- send path, timers, link loss ----

  private write(bytes: Uint8Array): void {
    if (!this.t.isOpen) return; // the close handler takes it from here
    try {
      this.t.write(bytes);
      this.lastSendMs = performance.now();
    } catch {
      // A write on a port that just died: onClose follows and starts the reconnect.
    }
  }

  private startTimers(): void {
    this.stopTimers();
    const wd = this.options.node.watchdog_ms;
    // Checked at watchdog/16 so a heartbeat goes out at most ~3/16 of the window after the last frame: a host stall of
    // up to ~80 % of the window (GC, a busy machine) does not trip an MCU that gets nothing but heartbeats.
    this.heartbeatTimer = setInterval(() => {
      if (this.linkUp && performance.now() - this.lastSendMs >= wd / 8) {
        this.window.send(encodeMessage('heartbeat', {}), true, undefined, 'heartbeat');
      }
    }, Math.max(2, wd / 16));
    this.monitorTimer = setInterval(() => {
      if (this.state === 'connected' && performance.now() - this.lastTelemetryMs > this.o.telemetryTimeoutMs) {
        this.linkLost(`no telemetry for ${Math.round(performance.now() - this.lastTelemetryMs)} ms`);
      }
    }, Math.max(20, this.o.telemetryTimeoutMs / 5));
  }

  private stopTimers(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.monitorTimer) clearInterval(this.monitorTimer);
    this.heartbeatTimer = this.monitorTimer = null;
  }

  private onTransportClose(err?: Error): void {
    if (this.state === 'connected') this.linkLost(err ? err.message : `${this.port} closed`);
    else if (this.linkUp || this.identifyWaiter) {
      this.linkUp = false;
      this.failPending(new LinkError('disconnected', `${this.port} closed${err ? `: ${err.message}` : ''}`));
    }
  }

  private failPending(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.window.reset(this.window.nextSeq, FRAME.MAX_BYTES);
    for (const p of all) {
      clearTimeout(p.grace);
      p.reject(err);
    }
  }

  /** Link lost: fail what is outstanding, tell listeners, and (unless disabled) start reconnecting. */
  private linkLost(reason: string, mcuRebooted = false): void {
    if (this.state !== 'connected') return;
    this.state = 'reconnecting';
    this.linkUp = false;
    this.stopTimers();
    this.failPending(new LinkError('disconnected', `link to ${this.port} lost: ${reason}`));
    this.tracker.forgetState();
    const wasArmed = this.armedWanted;
    this.emit('disconnected', { reason });
    if (!this.o.reconnect) {
      this.state = 'idle';
      void this.t.close().catch(() => undefined);
      return;
    }
    void this.reconnectLoop(wasArmed, mcuRebooted);
  }

  private async reconnectLoop(wasArmed: boolean, mcuRebooted: boolean): Promise<void> {
    let delay = this.o.reconnectBackoffMs[0];
    let first = true;
    while (this.state === 'reconnecting') {
      // A rebooted MCU on a healthy port can be re-identified at once; a lost port needs time to come back.
      if (!(first && mcuRebooted)) await new Promise<void>((r) => { this.wakeReconnect = r; setTimeout(r, delay); });
      first = false;
      if (this.state !== 'reconnecting') return;
      try {
        // Reopen unless the port is fine and only the MCU restarted: a vanished USB device leaves a dead handle.
        if (this.t.isOpen && !mcuRebooted) await this.t.close();
        if (!this.t.isOpen) await this.t.open();
        if (this.state !== 'reconnecting') return;
        const id = await this.establish();
        if (wasArmed && this.o.autoRearm) await this.arm();
        else this.armedWanted = false;
        if (this.state !== 'reconnecting') return;
        this.state = 'connected';
        this.reconnects++;
        this.startTimers();
        this.emit('reconnected', id);
        return;
      } catch (e) {
        this.linkUp = false;
        mcuRebooted = false;
        if (this.state !== 'reconnecting') return;
        this.emit('reconnect_failed', e as Error);
        delay = Math.min(this.o.reconnectBackoffMs[1], delay * 2);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
