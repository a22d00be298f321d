// Host-side deadman for Firmata boards (no watchdog on the board): safe outputs on a stalled loop, signals, errors, e-stop.
import { EventEmitter } from 'node:events';

export type TripCause = 'stall' | 'signal' | 'error' | 'estop';

export interface DeadmanOptions {
  /** [ms] the loop may be silent this long (the node's watchdog_ms) before every output goes to its default. */
  window_ms: number;
  /** Sets every output to its safe default (FirmataRig.safe). */
  safe: () => void;
  now?: () => number;
}

/**
 * What Ganglion's firmware does on the MCU, done on the host instead: kick() on every loop tick; when no kick came
 * for window_ms, trip (safe outputs) and stay tripped until rearm(). It cannot help against a SIGKILL of the host
 * or a cut cable: the board then keeps its last outputs (LAST_STATE_WARNING says so to the user).
 */
export class FirmataDeadman extends EventEmitter<{ trip: [{ cause: TripCause; reason: string }] }> {
  private last: number;
  private timer: NodeJS.Timeout | null = null;
  private hooks: (() => void)[] = [];
  tripped: { cause: TripCause; reason: string } | null = null;
  private readonly now: () => number;

  constructor(private readonly o: DeadmanOptions) {
    super();
    this.now = o.now ?? (() => performance.now());
    this.last = this.now();
  }

  /** Checks 8 times per window, so a trip comes at most window_ms * 1.125 after the last kick (plus host scheduling). */
  start(): void {
    if (this.timer) return;
    this.last = this.now();
    this.timer = setInterval(() => this.check(), Math.max(1, this.o.window_ms / 8));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const h of this.hooks) h();
    this.hooks = [];
  }

  /** The loop delivered a tick. */
  kick(): void {
    this.last = this.now();
  }

  check(): void {
    const silent = this.now() - this.last;
    if (!this.tripped && silent > this.o.window_ms) this.trip('stall', `the host loop was silent ${silent.toFixed(0)} ms, longer than the ${this.o.window_ms} ms window`);
  }

  trip(cause: TripCause, reason: string): void {
    try {
      this.o.safe();
    } finally {
      if (!this.tripped) {
        this.tripped = { cause, reason };
        this.emit('trip', this.tripped);
      }
    }
  }

  /** Leave the tripped state (an explicit re-arm, as on Ganglion's firmware). */
  rearm(): void {
    this.tripped = null;
    this.last = this.now();
  }

  /**
   * SIGINT/SIGTERM and uncaught errors make the outputs safe before the process ends. `flush` waits until the bytes
   * are on the wire (FirmataPort.drain: the serial port's tcdrain), bounded so a dead port cannot hold the exit; the
   * exit code follows the shell's convention (128 + signal number). With `exitOnSignal: false` a signal only makes the
   * outputs safe (at once, before anything else runs) and the caller's own shutdown ends the process: `ganglion run` of
   * a mixed robot, whose Ganglion MCUs are disarmed in order.
   */
  installProcessHooks(flush: () => Promise<void>, o: { exitOnSignal?: boolean } = {}): void {
    const onSignal = (sig: NodeJS.Signals) => {
      this.trip('signal', `${sig}`);
      if (o.exitOnSignal === false) return;
      void bounded(flush()).finally(() => process.exit(128 + (sig === 'SIGINT' ? 2 : 15)));
    };
    const onError = (err: Error) => {
      this.trip('error', `uncaught error: ${err.message}`);
      process.stderr.write(`${err.stack ?? err.message}\n`);
      void bounded(flush()).finally(() => process.exit(1));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('uncaughtException', onError);
    this.hooks.push(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('uncaughtException', onError);
    });
  }
}

/** [ms] the longest an exiting process waits for its last bytes to drain (a cut cable never drains). */
const FLUSH_MAX_MS = 1000;

function bounded(p: Promise<void>): Promise<void> {
  return Promise.race([p.catch(() => {}), new Promise<void>((r) => setTimeout(r, FLUSH_MAX_MS).unref())]);
}

/** Said once by `ganglion doctor` and `ganglion run`, and shown on the dashboard, for every Firmata board. */
export const LAST_STATE_WARNING =
  'a Firmata board has no watchdog of its own: the host deadman makes its outputs safe on a stalled loop, Ctrl-C, SIGTERM, an uncaught error and e-stop, ' +
  'but a SIGKILL of the host or a cut cable leaves it in its last state (motors keep their PWM, servos their pulse), unlike Ganglion\'s firmware';

/** The warning line, naming where it applies. */
export function lastStateWarning(where: string): string {
  return `WARNING (${where}): ${LAST_STATE_WARNING}`;
}
