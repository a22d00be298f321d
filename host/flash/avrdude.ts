// The avrdude command for a board profile: part name, programmer and baud from boards/*.json, shell-quoted for --dry-run.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Board } from '../hw/board.ts';

/** avrdude's part names for the MCUs our boards use. */
const AVRDUDE_PART: Record<string, string> = { atmega328p: 'm328p', atmega2560: 'm2560' };

/** An error a user can act on while flashing; the message is the whole story. */
export class FlashError extends Error {
  override name = 'FlashError';
}

/**
 * avrdude arguments that write and verify `hexPath` through the board's bootloader. -D skips the chip erase:
 * bootloaders erase page by page as they write, and a chip erase is not something they can do.
 */
export function avrdudeArgs(board: Board, port: string, hexPath: string, baud?: number): string[] {
  const part = AVRDUDE_PART[board.mcu];
  if (!part || !board.upload) {
    throw new FlashError(`board "${board.id}" has no upload settings (mcu ${board.mcu}); flash it with its own tools, or add an "upload" section to boards/${board.id}.json`);
  }
  return ['-p', part, '-c', board.upload.programmer, '-P', port, '-b', String(baud ?? board.upload.baud), '-D', '-U', `flash:w:${hexPath}:i`];
}

/** POSIX shell quoting: what --dry-run prints can be pasted into a terminal as is. */
export function shellQuote(args: string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Full path of an executable found on PATH (or the path itself when it has a slash), or null. */
export function findExecutable(cmd: string, envPath = process.env.PATH ?? ''): string | null {
  const candidates = cmd.includes('/') ? [cmd] : envPath.split(path.delimiter).filter(Boolean).map((d) => path.join(d, cmd));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here; try the next PATH entry
    }
  }
  return null;
}
