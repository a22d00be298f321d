// Readable text for what the MCU reports in numbers: event codes, fault bits, wire pin numbers.
import { CONSTANTS, PIN_NONE } from '../protocol/messages.ts';
import { PORTS, type Board } from '../hw/board.ts';

/** Wire pin number -> "D9 (PB1)" by the board's pin names, "PB6 (14)" for a pin the board does not name, or just
 *  "240" for a number that is no port pin at all. Callers put "pin " in front. */
export function boardPinName(pin: number, board?: Board): string {
  const port = PORTS[pin >> 3];
  if (pin === PIN_NONE || !port) return String(pin);
  const mcu = `P${port}${pin & 7}`;
  const entry = board && Object.entries(board.pins).find(([, p]) => p.mcu_pin === mcu);
  return entry ? `${entry[0]} (${mcu})` : `${mcu} (${pin})`;
}

export function eventName(code: number): string {
  return Object.entries(CONSTANTS.EVENT).find(([, v]) => v === code)?.[0] ?? `EVENT_${code}`;
}

/** One sentence for an MCU event, as a log line or dashboard toast. */
export function eventText(code: number, arg: number): string {
  const E = CONSTANTS.EVENT;
  switch (code) {
    case E.BOOT: return `MCU booted (reset flags 0x${arg.toString(16).padStart(2, '0')}); it is disarmed and unconfigured`;
    case E.WATCHDOG_TRIP: return 'link watchdog tripped: no valid frame in time, outputs are at their defaults until re-armed';
    case E.ESTOP: return 'e-stop input active: outputs are at their defaults';
    case E.LIMIT_HIT: return `motor ${arg} hit a limit switch`;
    case E.ARMED: return 'armed: outputs enabled';
    case E.DISARMED: return 'disarmed: outputs at their defaults';
    default: return `unknown event ${code} (arg ${arg})`;
  }
}

/** Fault bits -> ["DISARMED", "WATCHDOG_TRIPPED"]. */
export function faultNames(faults: number): string[] {
  return Object.entries(CONSTANTS.FAULT).filter(([, bit]) => faults & bit).map(([name]) => name);
}

/** Node id bytes from identify_reply -> string; an erased EEPROM reads 0xFF, which counts as empty. */
export function decodeNodeId(bytes: readonly number[]): string {
  let s = '';
  for (const b of bytes) {
    if (b === 0 || b === 0xff) break;
    s += String.fromCharCode(b);
  }
  return s;
}

export function encodeNodeId(id: string): number[] {
  if (id.length > 8 || !/^[\x20-\x7e]*$/.test(id)) throw new RangeError(`node id "${id}" must be at most 8 printable ASCII characters`);
  return Array.from({ length: 8 }, (_, i) => (i < id.length ? id.charCodeAt(i) : 0));
}

export function hex32(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}

export function mcuTypeName(mcu: number): string {
  return Object.entries(CONSTANTS.MCU).find(([, v]) => v === mcu)?.[0].toLowerCase() ?? `unknown MCU type ${mcu}`;
}
