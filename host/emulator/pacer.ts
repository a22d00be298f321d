// Paces an emulated node to the wall clock: emulated time tracks real time, catches up a bounded lag, and reports it.
import { monoNow_ns } from '../util/mono-clock.ts';

export interface Paceable {
  readonly cycles: number;
  readonly clock_hz: number;
  runUntilCycles(target: number): void;
  /**
   * Optional: true while bytes are on (or just left) the emulated serial line. The pacer then follows the wall clock
   * turn by turn (setImmediate) instead of sleeping for the next millisecond: a byte takes 10 us at 1 Mbaud, and a
   * 1 ms timer (~1.1 ms in practice) between them was most of a ping's round trip. Idle, it sleeps as before.
   */
  ioActive?(): boolean;
  /** Optional: the pacer dropped `cycles` of lag at the current cycle (emulated time skips them, a paused chip). */
  skipped?(cycles: number): void;
}

export interface PacerStats {
  /** [ms] how far emulated time trails the wall clock right now (0 when on time). */
  lag_ms: number;
  /** [ms] worst lag seen. */
  max_lag_ms: number;
  /** Times the lag exceeded the report threshold. */
  lag_events: number;
  /** [ms] wall time paced so far. */
  wall_ms: number;
  /** [ms] lag dropped instead of caught up (see lag_limit_ms). */
  dropped_ms: number;
}

export interface PacerOptions {
  /** [ms] emulated time run per event-loop turn at most, so messages (writes, inspection) stay responsive. */
  chunk_ms?: number;
  /** [ms] lag above which onLag is called (once per excursion). */
  reportLag_ms?: number;
  onLag?: (lag_ms: number) => void;
  /** Called after each turn (e.g. to flush bytes to another thread). */
  afterTurn?: () => void;
  /**
   * [ms] lag beyond this is dropped, not caught up (default 50). Catching up a long stall runs emulated time faster
   * than the host's clock, so host frames that were evenly spaced in wall time arrive sparse in emulated time and trip
   * the firmware's link watchdog: an artefact. Dropping the excess is what a paused chip would see.
   */
  lag_limit_ms?: number;
}

/** Past cycle `from` (the last one run before it was set), cycle c stands for the instant startMono_ns + (c - startCycles) / clock. */
interface Mapping {
  from: number;
  startCycles: number;
}

/** Mappings kept for monoAt_ns(): one is added per dropped lag, so this covers far more than any figure looks back. */
const MAPPINGS_KEPT = 256;

export class RealtimePacer {
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private active = false;
  /** [ns] monotonic (monoNow_ns, the same clock in every thread) at start: host threads stamp with it too. */
  private startMono_ns = 0;
  /** Oldest first; the last is the mapping in force now. */
  private mappings: Mapping[] = [];
  private lagging = false;
  readonly stats: PacerStats = { lag_ms: 0, max_lag_ms: 0, lag_events: 0, wall_ms: 0, dropped_ms: 0 };

  constructor(
    private readonly node: Paceable,
    private readonly opts: PacerOptions = {},
  ) {}

  get running(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.startMono_ns = monoNow_ns();
    this.mappings = [{ from: this.node.cycles, startCycles: this.node.cycles }];
    this.immediate = setImmediate(this.turn);
  }

  /**
   * Input arrived (host bytes): run a turn now rather than at the next 1 ms timer, so the MCU sees them as soon as
   * real hardware would. Emulated time still never passes the wall clock.
   */
  kick(): void {
    if (!this.active || this.immediate) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.immediate = setImmediate(this.turn);
  }

  /**
   * The emulated cycle that the monotonic instant `t_ns` stands for. When the emulator lags, that cycle is still ahead
   * of it: host bytes sent at `t_ns` are due at the MCU then, not at whatever stale cycle the emulator has reached.
   */
  cycleAt(t_ns: number): number {
    if (!this.active) return this.node.cycles; // not pacing: no mapping to the wall clock
    return this.mappings[this.mappings.length - 1]!.startCycles + Math.floor(((t_ns - this.startMono_ns) * this.node.clock_hz) / 1e9);
  }

  /**
   * The monotonic instant [ns] an emulated cycle stands for: when a real MCU would have done what the emulated one did
   * at that cycle, however late the emulator got round to running it. A dropped lag moves the mapping on, so a cycle
   * is read with the mapping that was in force when it ran.
   */
  monoAt_ns(cycle: number): number {
    let m = this.mappings[0]!;
    for (let i = this.mappings.length - 1; i > 0; i--) {
      if (this.mappings[i]!.from < cycle) {
        m = this.mappings[i]!;
        break;
      }
    }
    return this.startMono_ns + ((cycle - m.startCycles) * 1e9) / this.node.clock_hz;
  }

  stop(): void {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private turn = (): void => {
    const { node } = this;
    const chunk = ((this.opts.chunk_ms ?? 5) * node.clock_hz) / 1000;
    const now_ns = monoNow_ns();
    const wall_ms = (now_ns - this.startMono_ns) / 1e6;
    let target = this.cycleAt(now_ns);
    const maxLag = ((this.opts.lag_limit_ms ?? 50) * node.clock_hz) / 1000;
    if (target - node.cycles > maxLag) {
      const drop = target - node.cycles - maxLag;
      target -= drop;
      this.stats.dropped_ms += (drop * 1000) / node.clock_hz;
      node.skipped?.(drop);
      const last = this.mappings[this.mappings.length - 1]!;
      const startCycles = last.startCycles - drop;
      if (last.from === node.cycles) last.startCycles = startCycles; // nothing ran since the last drop
      else this.mappings.push({ from: node.cycles, startCycles });
      if (this.mappings.length > MAPPINGS_KEPT) this.mappings.shift();
    }
    if (node.cycles < target) node.runUntilCycles(Math.min(target, node.cycles + chunk));
    this.opts.afterTurn?.();
    const lag_ms = Math.max(0, ((target - node.cycles) * 1000) / node.clock_hz);
    this.stats.lag_ms = lag_ms;
    this.stats.wall_ms = wall_ms;
    if (lag_ms > this.stats.max_lag_ms) this.stats.max_lag_ms = lag_ms;
    const threshold = this.opts.reportLag_ms ?? 20;
    if (lag_ms > threshold && !this.lagging) {
      this.lagging = true;
      this.stats.lag_events++;
      this.opts.onLag?.(lag_ms);
    } else if (lag_ms < threshold / 2) {
      this.lagging = false;
    }
    if (!this.active) return; // stopped from a callback
    // Behind, or bytes on the line: continue right after pending I/O (emulated time still never passes the wall
    // clock, so this tracks it turn by turn). On time and quiet: sleep until the next millisecond is due.
    this.timer = null;
    this.immediate = null;
    if (node.cycles < target || node.ioActive?.()) this.immediate = setImmediate(this.turn);
    else this.timer = setTimeout(this.turn, 1);
  };
}
