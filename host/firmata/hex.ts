// The StandardFirmata image a Firmata board profile names (board.firmata.hex, inside node_modules): path and flash image.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, type Board } from '../hw/board.ts';
import { ATMEGA328P } from '../emulator/avr.ts';
import { parseIntelHex } from '../emulator/ihex.ts';

/** Absolute path of the board's StandardFirmata .hex; a clear error when the package that ships it is missing. */
export function firmataHexPath(board: Board): string {
  if (!board.firmata) throw new Error(`board ${board.id} is not a Firmata board: it has no StandardFirmata image`);
  const file = path.resolve(ROOT, board.firmata.hex);
  if (!existsSync(file)) throw new Error(`board ${board.id}: StandardFirmata image ${file} is missing; run npm ci (the avrgirl-arduino package ships it)`);
  return file;
}

export function loadFirmataFlash(board: Board): Uint8Array {
  return parseIntelHex(readFileSync(firmataHexPath(board), 'utf8'), ATMEGA328P.flashBytes);
}
