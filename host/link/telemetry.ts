// The latest MCU state from telemetry and status frames, with loss accounting (counter gaps) and the MCU's
// link-error counters turned from wrapping u16 values into running totals.
import type { Status, Telemetry } from '../protocol/messages.gen.ts';

/** Snapshot of one MCU. Arrays are per channel (MAX_MOTORS / MAX_ANALOG / MAX_SERVOS long). */
export interface McuState {
  /** telemetry.counter of the newest accepted frame */
  counter: number;
  /** [us] MCU clock when sampled, wraps at 2^32 */
  timeUs: number;
  counts: number[];
  velCps: number[];
  outPermille: number[];
  /** CONSTANTS.FAULT bits */
  faults: number;
  /** [adc counts] from the newest status frame (zeros until one arrives) */
  analog: number[];
  /** status.inputs bits: input i active, bits 4..7 limit switches of motor 0..3 */
  inputs: number;
  /** [us] servo pulses being output */
  servoUs: number[];
  /** status.applied_frames / applied_sum: the MCU's record of the host frames it applied since the last identify. */
  applied: { frames: number; sum: number };
  /** [ms] host clock (performance.now) when the telemetry frame arrived */
  receivedAtMs: number;
}

export interface TelemetryStats {
  telemetryFrames: number;
  /** Frames the counter says we never got. */
  telemetryLost: number;
  /** Frames whose counter did not advance (duplicates/replays): dropped, not applied. */
  telemetryStale: number;
  statusFrames: number;
  /** Totals since this session first heard the MCU, from status frames. */
  mcuCrcErrors: number;
  mcuSeqErrors: number;
  mcuOverruns: number;
  /** The newest raw status values, as the MCU counts them since boot (wrap at 2^16). */
  mcuRaw: { crcErrors: number; seqErrors: number; overruns: number } | null;
}

const U16 = 0x10000;
/** After this many non-advancing counters in a row the MCU restarted its counter (a reset), not a replay. */
const RESTART_AFTER_STALE = 3;

export class TelemetryTracker {
  state: McuState | null = null;
  private lastCounter: number | null = null;
  private staleRun = 0;
  private lastStatusCounter: number | null = null;
  private readonly s: TelemetryStats = {
    telemetryFrames: 0, telemetryLost: 0, telemetryStale: 0, statusFrames: 0,
    mcuCrcErrors: 0, mcuSeqErrors: 0, mcuOverruns: 0, mcuRaw: null,
  };

  /** Returns the new state, or null when the frame was a duplicate and dropped. */
  onTelemetry(t: Telemetry, nowMs: number): McuState | null {
    if (this.lastCounter !== null) {
      const d = (t.counter - this.lastCounter + U16) % U16;
      if (d === 0 || d >= U16 / 2) {
        this.s.telemetryStale++;
        if (++this.staleRun < RESTART_AFTER_STALE) return null;
      } else {
        this.s.telemetryLost += d - 1;
      }
    }
    this.staleRun = 0;
    this.lastCounter = t.counter;
    this.s.telemetryFrames++;
    const prev = this.state;
    this.state = {
      counter: t.counter,
      timeUs: t.time_us,
      counts: t.counts,
      velCps: t.vel_cps,
      outPermille: t.out_permille,
      faults: t.faults,
      analog: prev?.analog ?? [0, 0, 0, 0],
      inputs: prev?.inputs ?? 0,
      servoUs: prev?.servoUs ?? [0, 0, 0, 0],
      applied: prev?.applied ?? { frames: 0, sum: 0 },
      receivedAtMs: nowMs,
    };
    return this.state;
  }

  /** Returns false for a duplicate status frame (dropped). */
  onStatus(st: Status): boolean {
    if (this.lastStatusCounter !== null && st.counter === this.lastStatusCounter) return false;
    this.lastStatusCounter = st.counter;
    this.s.statusFrames++;
    const raw = this.s.mcuRaw;
    if (raw) {
      this.s.mcuCrcErrors += (st.crc_errors - raw.crcErrors + U16) % U16;
      this.s.mcuSeqErrors += (st.seq_errors - raw.seqErrors + U16) % U16;
      this.s.mcuOverruns += (st.overruns - raw.overruns + U16) % U16;
    }
    this.s.mcuRaw = { crcErrors: st.crc_errors, seqErrors: st.seq_errors, overruns: st.overruns };
    if (this.state) {
      this.state.analog = st.analog;
      this.state.inputs = st.inputs;
      this.state.servoUs = st.servo_us;
      this.state.applied = { frames: st.applied_frames, sum: st.applied_sum };
    }
    return true;
  }

  /** The link went down: the snapshot describes an MCU we can no longer see, so drop it rather than show it. */
  forgetState(): void {
    this.state = null;
  }

  /** The MCU rebooted: its counters restart from zero, so forget the baselines (totals are kept). */
  mcuRestarted(): void {
    this.lastCounter = null;
    this.lastStatusCounter = null;
    this.staleRun = 0;
    this.s.mcuRaw = null;
  }

  stats(): TelemetryStats {
    return { ...this.s, mcuRaw: this.s.mcuRaw && { ...this.s.mcuRaw } };
  }
}
