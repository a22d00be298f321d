// A Firmata board where the runtime expects an McuSession (NodeLink): setpoints to johnny-five, readings as telemetry, the host deadman as its watchdog.
import { EventEmitter } from 'node:events';
import type { Board } from '../hw/board.ts';
import type { NodeWiring } from '../hw/robot.ts';
import type { NodeLink } from '../link/node-link.ts';
import type { LinkStats, SessionEvents, SessionState } from '../link/session-types.ts';
import { isArmed, linkStats } from '../link/link-stats.ts';
import type { McuState, TelemetryStats } from '../link/telemetry.ts';
import { CONSTANTS, MAX_ANALOG, MAX_MOTORS, MAX_SERVOS } from '../protocol/messages.ts';
import type { HostMessages } from '../protocol/messages.gen.ts';
import type { FirmataConnection } from './connect.ts';
import { FirmataDeadman, LAST_STATE_WARNING, type TripCause } from './deadman.ts';
import { FirmataRig } from './rig.ts';

const { MODE, FAULT, EVENT, ERR } = CONSTANTS;

export interface FirmataNodeOptions {
  conn: FirmataConnection;
  wiring: NodeWiring;
  board: Board;
  /** Where clamps and refusals are written for the operator (default console.warn); they are also 'event's. */
  log?: (line: string) => void;
}

/** [us] a servo command inside the wiring's range, or the range end it was clamped to (0 = limp passes as is). */
export function clampServoUs(w: { min_us: number; max_us: number }, us: number): number {
  if (us === 0) return 0;
  return Math.min(w.max_us, Math.max(w.min_us, Math.round(us)));
}

/**
 * StandardFirmata has no telemetry, sequence numbers or watchdog: this node samples its johnny-five components into an
 * McuState at the wiring's telemetry_hz, and its FirmataDeadman (kicked by every loop tick, see kick()) stands in for
 * the firmware watchdog. Motors are open loop: only PWM and OFF modes are accepted, closed-loop modes are refused.
 */
export class FirmataNode extends EventEmitter<SessionEvents> implements NodeLink {
  readonly rig: FirmataRig;
  readonly deadman: FirmataDeadman;
  readonly port: string;
  private state: SessionState = 'connected';
  private armedByHost = false;
  private st: McuState | null = null;
  private counter = 0;
  private framesSent = 0;
  private readonly timer: NodeJS.Timeout;
  /** Motors whose closed-loop refusal was already reported (once per motor until it gets a valid mode). */
  private readonly refusedMotor = new Set<number>();
  private readonly log: (line: string) => void;
  /** Servo commands clamped to the wiring's range (the envelope's range should already lie inside it). */
  servoClamps = 0;
  /** A Firmata node never reconnects by itself (a lost port ends it), so it never waits for a re-arm after one. */
  readonly awaitingRearm = false;

  constructor(readonly o: FirmataNodeOptions) {
    super();
    this.port = o.conn.port.path;
    this.log = o.log ?? ((l) => console.warn(l));
    this.rig = new FirmataRig(o.conn, o.wiring, o.board);
    this.deadman = new FirmataDeadman({ window_ms: o.wiring.watchdog_ms, safe: () => this.rig.safe() });
    this.deadman.on('trip', (t) => {
      const code = t.cause === 'estop' ? EVENT.ESTOP : EVENT.WATCHDOG_TRIP;
      this.emit('event', { code, name: t.cause === 'estop' ? 'ESTOP' : 'WATCHDOG_TRIP', arg: 0, text: `host deadman tripped (${t.cause}): ${t.reason}; every output at its default` });
    });
    o.conn.port.on('close', () => (this.state = 'closed'));
    this.timer = setInterval(() => this.sample(), 1000 / o.wiring.telemetry_hz);
    this.timer.unref();
    this.sample();
  }

  get mcuState(): McuState | null {
    return this.st;
  }

  /** One loop tick delivered setpoints: the deadman's heartbeat. */
  kick(): void {
    this.deadman.kick();
  }

  /** E-stop: every output to its default now, on the host (no board watchdog to do it); cleared by clearEstop(). */
  async estop(reason = 'e-stop'): Promise<void> {
    this.deadman.trip('estop', reason);
  }

  clearEstop(): void {
    if (this.deadman.tripped?.cause === 'estop') this.deadman.rearm();
  }

  private faults(): number {
    const t = this.deadman.tripped;
    return (this.armedByHost ? 0 : FAULT.DISARMED) | (t && t.cause !== 'estop' ? FAULT.WATCHDOG_TRIPPED : 0) | (t?.cause === 'estop' ? FAULT.ESTOP : 0);
  }

  /** Telemetry from the board's components; counts and velocities stay 0: StandardFirmata counts no encoders. */
  private sample(): void {
    const servoUs = new Array<number>(MAX_SERVOS).fill(0);
    for (const [i, us] of this.rig.servoUs()) servoUs[i] = us;
    const analog = new Array<number>(MAX_ANALOG).fill(0);
    for (const a of this.o.wiring.analog) analog[a.index] = this.rig.sensor(a.index).raw ?? 0;
    let inputs = 0;
    for (const i of this.o.wiring.inputs) if (this.rig.button(i.index).isDown) inputs |= 1 << i.index;
    const outPermille = new Array<number>(MAX_MOTORS).fill(0);
    for (const [i, p] of this.rig.motorPermille()) outPermille[i] = p;
    const now = performance.now();
    this.counter = (this.counter + 1) & 0xffff;
    this.st = {
      counter: this.counter, timeUs: Math.round(now * 1000) >>> 0, counts: new Array<number>(MAX_MOTORS).fill(0), velCps: new Array<number>(MAX_MOTORS).fill(0),
      outPermille, faults: this.faults(), analog, inputs, servoUs, receivedAtMs: now,
      // StandardFirmata keeps no record of the commands it applied (Ganglion's firmware does): none to report.
      applied: { frames: 0, sum: 0 },
    };
    this.emit('telemetry', this.st);
  }

  /** Refuses while disarmed or tripped (the runtime resends), as the firmware ignores outputs then. */
  private outputsLive(what: string): Error | null {
    if (this.state === 'closed') return new Error(`cannot send ${what}: the Firmata link on ${this.port} is closed`);
    if (!this.armedByHost) return new Error(`${what} refused: Firmata node ${this.o.wiring.id} is disarmed`);
    const t = this.deadman.tripped;
    if (t) return new Error(`${what} refused: Firmata node ${this.o.wiring.id} is tripped (${t.cause}: ${t.reason})`);
    return null;
  }

  // The runtime sends set_servo, arm and disarm; every other Ganglion command has no StandardFirmata equivalent.
  command<K extends keyof HostMessages>(name: K, fields: HostMessages[K]): Promise<null> {
    if (name === 'arm') return this.arm().then(() => null);
    if (name === 'disarm') return this.disarm().then(() => null);
    if (name !== 'set_servo') return Promise.reject(new Error(`${name} is a Ganglion firmware command: a Firmata board (${this.o.wiring.id}) has no equivalent`));
    const f = fields as HostMessages['set_servo'];
    const w = this.o.wiring.servos.find((s) => s.index === f.index);
    if (!w) return Promise.reject(new Error(`Firmata node ${this.o.wiring.id} has no servo ${f.index}`));
    const refused = this.outputsLive(`set_servo ${w.joint}`);
    if (refused) return Promise.reject(refused);
    const us = clampServoUs(w, f.pulse_us);
    if (us !== f.pulse_us) {
      this.servoClamps++;
      const text = `servo ${w.joint}: ${f.pulse_us} us clamped to ${us} us (its range is ${w.min_us}-${w.max_us} us)`;
      this.log(`[${this.o.wiring.id}] ${text}`);
      this.emit('event', { code: 0, name: 'SERVO_CLAMPED', arg: f.pulse_us, text });
    }
    this.rig.setServoUs(f.index, us);
    this.framesSent++;
    return Promise.resolve(null);
  }

  /** PWM (value in permille) and OFF only: position and velocity need encoders, which StandardFirmata does not read. */
  setMotors(modes: readonly number[], values: readonly number[]): boolean {
    if (this.state === 'closed') return false;
    if (this.outputsLive('set_motors')) return true;
    for (const w of this.o.wiring.open_motors) {
      const mode = modes[w.index] ?? MODE.OFF;
      if (mode === MODE.PWM || mode === MODE.OFF) {
        this.refusedMotor.delete(w.index);
        this.rig.setMotorPermille(w.index, mode === MODE.PWM ? values[w.index] ?? 0 : 0);
        continue;
      }
      this.rig.setMotorPermille(w.index, 0);
      if (!this.refusedMotor.has(w.index)) {
        this.refusedMotor.add(w.index);
        const text = closedLoopRefusal(this.o.board, this.o.wiring.id, w.joint);
        this.log(`[${this.o.wiring.id}] ${text}`);
        this.emit('mcu_error', { code: ERR.BAD_VALUE, msgId: 0, arg: mode, text });
      }
    }
    this.framesSent++;
    return true;
  }

  async arm(): Promise<void> {
    if (this.state === 'closed') throw new Error(`cannot arm ${this.o.wiring.id}: the Firmata link on ${this.port} is closed`);
    this.deadman.rearm();
    this.deadman.start();
    this.armedByHost = true;
    this.emit('event', { code: EVENT.ARMED, name: 'ARMED', arg: 0, text: 'armed (host deadman running)' });
  }

  async disarm(): Promise<void> {
    this.armedByHost = false;
    if (this.state !== 'closed') this.rig.safe();
  }

  /** Trip the deadman for `cause` (signal, error) and make the outputs safe: what the process hooks call. */
  trip(cause: TripCause, reason: string): void {
    this.deadman.trip(cause, reason);
  }

  /** SIGINT/SIGTERM and uncaught errors make the outputs safe, and the process exits once those bytes are drained. */
  installProcessHooks(): void {
    this.deadman.installProcessHooks(() => this.o.conn.port.drain());
  }

  get armed(): boolean {
    return isArmed(this.faults());
  }

  stats(): LinkStats {
    const telemetry: TelemetryStats = {
      telemetryFrames: this.counter, telemetryLost: 0, telemetryStale: 0, statusFrames: 0,
      mcuCrcErrors: 0, mcuSeqErrors: 0, mcuOverruns: 0, mcuRaw: null,
    };
    const s = linkStats({
      port: this.port, state: this.state,
      window: { framesSent: this.framesSent, retransmits: 0, timeouts: 0, naks: 0, badAcks: 0, inFlightFrames: 0, inFlightBytes: 0, queued: 0 },
      rtt: { rtoMaxMs: 0, srttMs: null, rttvarMs: null, lastMs: null, minMs: null, rtoMs: 0 },
      decoder: { frames: 0, crcErrors: 0, lengthErrors: 0, syncErrors: 0, bytesDropped: 0 },
      decodeErrors: 0, telemetry, faults: this.faults(), reconnects: 0, degradations: 0, degradedReason: null,
    });
    return { ...s, board_kind: 'firmata', warning: LAST_STATE_WARNING };
  }

  /** Outputs to their defaults, then the port closed (the board keeps what it was last told: the defaults). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.state !== 'closed') this.rig.safe();
    this.deadman.stop();
    this.state = 'closed';
    await this.o.conn.port.drain();
    await this.o.conn.port.transport.close();
  }
}

/** Why a closed-loop mode on an open-loop motor is refused, naming the board's capability. */
export function closedLoopRefusal(board: Board, node: string, joint: string): string {
  return `motor ${joint} on node ${node} is open loop (board ${board.id}: closed_loop ${board.firmata?.capabilities.closed_loop ?? false}, StandardFirmata reads no encoders): ` +
    'position and velocity modes are refused; drive it with PWM, or move it to a Ganglion board with an encoder';
}
