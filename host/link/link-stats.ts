// One session's link statistics in one object: sender, receiver, telemetry, faults, health; built from its parts.
import { CONSTANTS } from '../protocol/messages.ts';
import type { FrameStats } from '../protocol/frame.ts';
import type { SendWindowStats } from './send-window.ts';
import type { TelemetryStats } from './telemetry.ts';
import type { RttStats } from './rtt.ts';
import type { SessionState } from './session-types.ts';
import { faultNames } from './texts.ts';

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
  /** Times the link went degraded; why it is degraded now (null while healthy). */
  degradations: number;
  degradedReason: string | null;
  /** Which firmware the node runs (absent: Ganglion's own) and what its operator must know about it. */
  board_kind?: 'ganglion' | 'firmata';
  warning?: string;
}

export interface LinkStatsParts {
  port: string;
  state: SessionState;
  window: SendWindowStats;
  rtt: RttStats;
  decoder: FrameStats;
  decodeErrors: number;
  telemetry: TelemetryStats;
  /** CONSTANTS.FAULT bits of the newest telemetry, or null before any. */
  faults: number | null;
  reconnects: number;
  degradations: number;
  degradedReason: string | null;
}

/** Armed: the MCU has reported its faults, and neither DISARMED nor WATCHDOG_TRIPPED is among them. */
export function isArmed(faults: number | null): boolean {
  return faults !== null && (faults & (CONSTANTS.FAULT.DISARMED | CONSTANTS.FAULT.WATCHDOG_TRIPPED)) === 0;
}

export function linkStats(x: LinkStatsParts): LinkStats {
  const { inFlightBytes: _bytes, queued: _queued, ...w } = x.window;
  const d = x.decoder;
  const faults = x.faults ?? 0;
  const F = CONSTANTS.FAULT;
  return {
    ...w,
    port: x.port,
    state: x.state,
    rtt: x.rtt,
    host: { frames: d.frames, crcErrors: d.crcErrors, lengthErrors: d.lengthErrors, syncErrors: d.syncErrors, bytesDropped: d.bytesDropped, decodeErrors: x.decodeErrors },
    telemetry: x.telemetry,
    faults: faultNames(faults),
    armed: isArmed(x.faults),
    watchdogTripped: (faults & F.WATCHDOG_TRIPPED) !== 0,
    reconnects: x.reconnects,
    degradations: x.degradations,
    degradedReason: x.degradedReason,
  };
}
