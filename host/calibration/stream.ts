// Setpoint stream and telemetry waits for one node during calibration, timed by the MCU's own clock (telemetry
// time_us) so the same procedure runs on a real board, in a real-time emulator, or in emulated time pumped by hand.
import type { McuSession, McuEvent } from '../link/session.ts';
import type { McuState } from '../link/telemetry.ts';
import { CONSTANTS } from '../protocol/messages.ts';

/** [ms] between setpoint frames: well inside any watchdog window (>= 10 ms, default 100 ms). */
const STREAM_PERIOD_MS = 10;

export class NodeStream {
  private readonly modes = [0, 0, 0, 0];
  private readonly values = [0, 0, 0, 0];
  private lastSentUs: number | null = null;
  private waiters = new Set<(s: McuState) => void>();
  private limitHits: number[] = [];
  private lost: Error | null = null;
  private readonly onTelemetry = (s: McuState) => this.tick(s);
  private readonly onEvent = (e: McuEvent) => {
    if (e.code === CONSTANTS.EVENT.LIMIT_HIT) this.limitHits.push(e.arg);
  };
  private readonly onLost = (d: { reason: string }) => {
    this.lost = new Error(`link lost during calibration: ${d.reason}`);
  };

  constructor(readonly session: McuSession) {
    session.on('telemetry', this.onTelemetry);
    session.on('event', this.onEvent);
    session.on('disconnected', this.onLost);
  }

  dispose(): void {
    this.session.off('telemetry', this.onTelemetry);
    this.session.off('event', this.onEvent);
    this.session.off('disconnected', this.onLost);
  }

  /** Set one channel's setpoint (others keep theirs) and send it now. */
  set(index: number, mode: number, value: number): void {
    this.modes[index] = mode;
    this.values[index] = Math.round(value);
    this.send();
  }

  /** All channels OFF, sent now. */
  allOff(): void {
    this.modes.fill(CONSTANTS.MODE.OFF);
    this.values.fill(0);
    this.send();
  }

  private send(): void {
    if (!this.session.setMotors(this.modes, this.values)) this.lost ??= new Error('no link to the MCU');
    this.lastSentUs = this.session.mcuState?.timeUs ?? null;
  }

  /** Every telemetry frame: resend setpoints on the MCU's clock (the stream is the watchdog's food), wake waiters. */
  private tick(s: McuState): void {
    if (this.lastSentUs === null || elapsedUs(this.lastSentUs, s.timeUs) >= STREAM_PERIOD_MS * 1000) this.send();
    for (const w of [...this.waiters]) w(s);
  }

  /** Motor indices whose limit switch closed (LIMIT_HIT events) since the last call. */
  takeLimitHits(): number[] {
    const h = this.limitHits;
    this.limitHits = [];
    return h;
  }

  /**
   * Resolve with the first telemetry state for which `done` returns true; reject after `timeout_ms` of MCU time
   * (naming `what`) or when the link drops. `done` gets the state and the MCU ms since the wait began.
   */
  until(what: string, timeout_ms: number, done: (s: McuState, elapsed_ms: number) => boolean): Promise<McuState> {
    return new Promise<McuState>((resolve, reject) => {
      let startUs: number | null = null;
      const w = (s: McuState) => {
        if (this.lost) return finish(() => reject(this.lost!));
        startUs ??= s.timeUs;
        const ms = elapsedUs(startUs, s.timeUs) / 1000;
        let ok: boolean;
        try {
          ok = done(s, ms);
        } catch (e) {
          return finish(() => reject(e as Error));
        }
        if (ok) return finish(() => resolve(s));
        if (ms > timeout_ms) finish(() => reject(new Error(`${what}: not done after ${timeout_ms} ms`)));
      };
      const finish = (f: () => void) => {
        this.waiters.delete(w);
        f();
      };
      if (this.lost) return reject(this.lost);
      this.waiters.add(w);
    });
  }

  /** Let `ms` of MCU time pass (setpoints keep streaming). */
  async wait(ms: number): Promise<McuState> {
    return this.until(`waiting ${ms} ms`, ms + 1000, (_s, t) => t >= ms);
  }

  /** Wait until motor `index` has not moved more than `band_counts` for `still_ms`. */
  async settle(index: number, what: string, still_ms = 60, band_counts = 1, timeout_ms = 5000): Promise<McuState> {
    let ref: number | null = null;
    let since = 0;
    return this.until(`${what}: waiting for the joint to stop`, timeout_ms, (s, t) => {
      const c = s.counts[index]!;
      if (ref === null || Math.abs(c - ref) > band_counts) {
        ref = c;
        since = t;
      }
      return t - since >= still_ms;
    });
  }
}

/** [us] from a to b on the MCU's wrapping u32 clock. */
export function elapsedUs(a: number, b: number): number {
  return (b - a) >>> 0;
}
