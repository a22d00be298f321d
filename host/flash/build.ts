// Builds the firmware image for one MCU with the firmware Makefile and returns the path of its .hex file.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../hw/board.ts';
import { FlashError } from './avrdude.ts';

export const FIRMWARE_DIR = path.join(ROOT, 'firmware');

/** Where `make -C firmware all` puts the image for an MCU. */
export function firmwareHexPath(mcu: string): string {
  return path.join(FIRMWARE_DIR, 'build', mcu, 'ganglion.hex');
}

/** The build command, as --dry-run shows it. */
export const BUILD_COMMAND = ['make', '-s', '-C', FIRMWARE_DIR, 'all'];

/** Runs the firmware build; on failure the error carries make's last lines. */
export async function buildFirmware(mcu: string): Promise<string> {
  const output: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(BUILD_COMMAND[0]!, BUILD_COMMAND.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => output.push(b.toString()));
    child.stderr.on('data', (b: Buffer) => output.push(b.toString()));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new FlashError(e.code === 'ENOENT' ? 'make was not found; install it: npm run setup' : `cannot run make: ${e.message}`)));
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    const tail = output.join('').trimEnd().split('\n').slice(-8).join('\n');
    throw new FlashError(`building the firmware failed (make exited with ${code}); fix the errors below, or pass a prebuilt image with --hex:\n${tail}`);
  }
  const hex = firmwareHexPath(mcu);
  if (!existsSync(hex)) throw new FlashError(`the firmware build produced no ${path.relative(ROOT, hex)}; check that firmware/Makefile builds the ${mcu} target`);
  return hex;
}
