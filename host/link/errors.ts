// Errors the MCU session raises: each message is one sentence a user can act on, and `code` lets callers branch.
import { CONSTANTS, MESSAGES } from '../protocol/messages.ts';
import type { Board } from '../hw/board.ts';
import { boardPinName } from './texts.ts';

export type LinkErrorCode =
  | 'no_answer' // identify got no reply: wrong firmware, wrong baud, nothing there
  | 'protocol_mismatch' // firmware built from another message table
  | 'wrong_board' // MCU type or node id differs from the wiring
  | 'config' // the wiring cannot be expressed, or the MCU refused a config item
  | 'refused' // the MCU answered a command with `error`
  | 'disconnected' // the link went down while the command was outstanding
  | 'closed'; // the session was closed

export class LinkError extends Error {
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

/** The MCU refused a command: carries the wire error so callers can branch on `mcuCode` (CONSTANTS.ERR). */
export class CommandRefused extends LinkError {
  constructor(
    message: string,
    readonly mcuCode: number,
    readonly msgId: number,
    readonly arg: number,
  ) {
    super('refused', message);
    this.name = 'CommandRefused';
  }
}

const ERR_TEXT: Record<number, string> = {
  [CONSTANTS.ERR.BAD_INDEX]: 'no such channel',
  [CONSTANTS.ERR.BAD_PIN]: 'no such pin on this MCU',
  [CONSTANTS.ERR.PIN_IN_USE]: 'pin already used by another channel',
  [CONSTANTS.ERR.NO_PWM_ON_PIN]: 'pin has no hardware PWM',
  [CONSTANTS.ERR.NO_INTERRUPT_ON_PIN]: 'pin has no interrupt for an encoder',
  [CONSTANTS.ERR.NO_ADC_ON_PIN]: 'pin has no ADC',
  [CONSTANTS.ERR.UNKNOWN_MSG]: 'firmware does not know this message',
  [CONSTANTS.ERR.BAD_LENGTH]: 'message length wrong',
  [CONSTANTS.ERR.BAD_VALUE]: 'value out of range',
  [CONSTANTS.ERR.NOT_CONFIGURED]: 'channel not configured',
};

/** "NO_PWM_ON_PIN (pin has no hardware PWM)" for an error.code. */
export function errCodeText(code: number): string {
  const name = Object.entries(CONSTANTS.ERR).find(([, v]) => v === code)?.[0] ?? `error ${code}`;
  return `${name} (${ERR_TEXT[code] ?? 'unknown error code'})`;
}

/** Error codes whose `arg` is a pin number rather than a channel index. */
export function errArgIsPin(code: number): boolean {
  const E = CONSTANTS.ERR;
  return code === E.BAD_PIN || code === E.PIN_IN_USE || code === E.NO_PWM_ON_PIN || code === E.NO_INTERRUPT_ON_PIN || code === E.NO_ADC_ON_PIN;
}

/** Error codes whose `arg` is a channel index. */
export function errArgIsIndex(code: number): boolean {
  return code === CONSTANTS.ERR.BAD_INDEX || code === CONSTANTS.ERR.NOT_CONFIGURED;
}

/** "MCU on /dev/ttyUSB0 refused config_servo: pin D9 (PB1): PIN_IN_USE (pin already used by another channel)". */
export function refusalText(port: string, e: { code: number; msg_id: number; arg: number }, board: Board): string {
  const msgName = MESSAGES.find((m) => m.id === e.msg_id)?.name ?? `message 0x${e.msg_id.toString(16)}`;
  const subject = errArgIsPin(e.code) ? `pin ${boardPinName(e.arg, board)}` : errArgIsIndex(e.code) ? `index ${e.arg}` : `arg ${e.arg}`;
  return `MCU on ${port} refused ${msgName}: ${subject}: ${errCodeText(e.code)}`;
}
