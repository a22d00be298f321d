// What the MCU sends, handed on: telemetry and status into the state tracker and out to listeners, fault changes,
// events, refusals matched to the command they answer, and the two ways an MCU reboot shows (BOOT, UNCONFIGURED).
import type { EventEmitter } from 'node:events';
import { CONSTANTS } from '../protocol/messages.ts';
import type { Decoded } from '../protocol/codec.ts';
import type { McuMessages, Status, Telemetry } from '../protocol/messages.gen.ts';
import type { Board } from '../hw/board.ts';
import { CommandRefused, refusalText } from './errors.ts';
import type { PendingTable } from './pending.ts';
import type { ReceiveSink } from './receive.ts';
import type { TelemetryTracker } from './telemetry.ts';
import { eventName, eventText } from './texts.ts';
import type { McuEvent, SessionEvents } from './session-types.ts';

export interface FanoutOptions {
  port: string;
  board: Board;
  emitter: EventEmitter<SessionEvents>;
  tracker: TelemetryTracker;
  pending: PendingTable;
  /** The session is connected (not handshaking, reconnecting or closed). */
  connected(): boolean;
  mcuRebooted(reason: string): void;
  ack(ack: number): void;
  nak(ack: number, droppedSeq: number): void;
}

export class McuFanout implements ReceiveSink {
  identifyWaiter: ((payload: Uint8Array, ack: number) => void) | null = null;
  linkUp = false;
  /** [ms] performance.now() of the newest accepted telemetry frame. */
  lastTelemetryMs = 0;
  decodeErrors = 0;
  private sawConfigured = false;

  constructor(private readonly o: FanoutOptions) {}

  /** After a handshake: the MCU may have restarted, so its counters and configured state start over. */
  handshakeDone(nowMs: number): void {
    this.o.tracker.mcuRestarted();
    this.sawConfigured = false;
    this.linkUp = true;
    this.lastTelemetryMs = nowMs;
  }

  telemetry(fields: Telemetry, now: number): void {
    const prevFaults = this.o.tracker.state?.faults ?? null;
    const st = this.o.tracker.onTelemetry(fields, now);
    if (!st) return;
    this.lastTelemetryMs = now;
    if (this.linkUp) this.checkMcuReset(st.faults);
    this.o.emitter.emit('telemetry', st);
    if (prevFaults !== null && prevFaults !== st.faults) this.o.emitter.emit('faults', st.faults, prevFaults);
  }

  status(fields: Status): void {
    if (this.o.tracker.onStatus(fields) && this.o.tracker.state) this.o.emitter.emit('status', this.o.tracker.state);
  }

  pong(token: number, m: Decoded, now: number): void {
    this.o.pending.pong(token, m, now);
  }

  event(f: McuMessages['event']): void {
    const ev: McuEvent = { code: f.code, name: eventName(f.code), arg: f.arg, text: eventText(f.code, f.arg) };
    this.o.emitter.emit('event', ev);
    if (f.code === CONSTANTS.EVENT.BOOT && this.linkUp && this.o.connected()) this.o.mcuRebooted('MCU rebooted');
  }

  mcuError(e: McuMessages['error'], ack: number): void {
    const text = refusalText(this.o.port, e, this.o.board);
    if (!this.o.pending.refuse(ack, e.msg_id, new CommandRefused(text, e.code, e.msg_id, e.arg))) {
      this.o.emitter.emit('mcu_error', { code: e.code, msgId: e.msg_id, arg: e.arg, text });
    }
  }

  decodeError(): void {
    this.decodeErrors++;
  }

  ack(ack: number): void {
    this.o.ack(ack);
  }

  nak(ack: number, droppedSeq: number): void {
    if (this.linkUp) this.o.nak(ack, droppedSeq);
  }

  /** An MCU that comes back UNCONFIGURED after it was configured rebooted even if its BOOT event was lost. */
  private checkMcuReset(faults: number): void {
    if (!(faults & CONSTANTS.FAULT.UNCONFIGURED)) this.sawConfigured = true;
    else if (this.sawConfigured && this.o.connected()) this.o.mcuRebooted('MCU came back unconfigured (it rebooted)');
  }
}
