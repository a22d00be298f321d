// The MCU session's public shapes: options, states, events and link statistics (kept apart so helpers can share them).
import type { NodeWiring } from '../hw/robot.ts';
import type { Board } from '../hw/board.ts';
import type { Transport } from './transport.ts';
import type { McuState } from './telemetry.ts';
import type { Identity } from './identity.ts';

export interface SessionOptions {
  transport: Transport;
  node: NodeWiring;
  board: Board;
  /**
   * Who re-arms after a reconnect when the host had armed before the link was lost, e.g. "ganglion run (emulated
   * board)": the re-arm is then logged as decided by it. Unset (the default, and the rule for real boards): nobody;
   * the MCU is left disarmed, which is logged, until someone calls arm() (the operator: dashboard or cmd/arm).
   */
  rearmAfterReconnect?: string;
  /** Reopen and re-handshake when the link is lost. Default true. */
  reconnect?: boolean;
  /** Protocol hash this host speaks; only tests change it. */
  expectedProtoHash?: number;
  /** [ms] identify retries stop after this; an Uno resets when the port opens and its bootloader waits ~1 s. */
  identify_timeout_ms?: number;
  /** [ms] no telemetry for this long while connected means the link is lost. */
  telemetry_timeout_ms?: number;
  /** [Hz] requested status frame rate. */
  status_hz?: number;
  /** [ms] reconnect attempts back off from the first to the second value. */
  reconnect_backoff_ms?: [number, number];
  /** Where the session writes what an operator must know (degraded link, re-arm decisions). Default console.warn. */
  log?: (line: string) => void;
}

/** `degraded`: the link is up but a frame has waited half the watchdog window for its ack, or the MCU's watchdog
 *  tripped: commands still go out, but a setpoint stream cannot be trusted to arrive in time (health.ts). */
export type SessionState = 'idle' | 'connecting' | 'connected' | 'degraded' | 'reconnecting' | 'closed';

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

export type { LinkStats } from './link-stats.ts';

export type SessionEvents = {
  telemetry: [McuState];
  status: [McuState];
  /** Fault bits changed: new bits, previous bits. */
  faults: [number, number];
  event: [McuEvent];
  mcu_error: [McuErrorReport];
  disconnected: [{ reason: string }];
  reconnected: [Identity];
  reconnect_failed: [Error];
  /** The link went degraded (the reason) or recovered (null). */
  health: [string | null];
};
