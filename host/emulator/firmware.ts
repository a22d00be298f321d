// The firmware image: where `make` puts it, building it when missing, loading it, and reading symbols from its ELF.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../hw/board.ts';
import { ATMEGA328P } from './avr.ts';
import { parseIntelHex } from './ihex.ts';

export const FIRMWARE_DIR = path.join(ROOT, 'firmware');
export const FIRMWARE_HEX = path.join(FIRMWARE_DIR, 'build', 'atmega328p', 'ganglion.hex');

/** The .elf beside a .hex (same name), if it exists. */
export function elfFor(hexPath: string): string | null {
  const elf = hexPath.replace(/\.hex$/, '.elf');
  return existsSync(elf) ? elf : null;
}

/** Run `make -s -C firmware all` (make itself skips the work when the image is up to date). */
export function buildFirmware(): void {
  try {
    execFileSync('make', ['-s', '-C', FIRMWARE_DIR, 'all'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`building the firmware failed (make -s -C firmware all): ${err.stderr?.toString().trim() || err.message}`);
  }
}

/**
 * The default firmware hex, built first if it does not exist yet. Parallel test processes share one build
 * directory, so the build runs under a lock (an atomic mkdir) and the others wait for it.
 */
export function ensureFirmware(hexPath = FIRMWARE_HEX): string {
  if (existsSync(hexPath)) return hexPath;
  if (hexPath !== FIRMWARE_HEX) throw new Error(`firmware image ${hexPath} does not exist`);
  const lock = path.join(tmpdir(), 'ganglion-firmware-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`waited 2 min for another firmware build (remove ${lock} if none runs)`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    if (!existsSync(hexPath)) buildFirmware();
  } finally {
    rmdirSync(lock);
  }
  if (!existsSync(hexPath)) throw new Error(`make ran but ${hexPath} is still missing: check firmware/Makefile`);
  return hexPath;
}

/** Flash image of a .hex file. */
export function loadFirmware(hexPath = FIRMWARE_HEX): Uint8Array {
  return parseIntelHex(readFileSync(ensureFirmware(hexPath), 'utf8'), ATMEGA328P.flashBytes);
}

export interface ElfSymbol {
  name: string;
  /** [bytes] flash address. */
  address: number;
  /** [bytes] size, 0 for plain labels. */
  size: number;
  type: string;
}

/** Text symbols of an ELF (avr-nm -S), sorted by address. */
export function textSymbols(elfPath: string): ElfSymbol[] {
  const out = execFileSync('avr-nm', ['-S', '-n', elfPath], { encoding: 'utf8' });
  const syms: ElfSymbol[] = [];
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    // "addr size type name" or "addr type name"
    if (f.length === 4 && /^[tTwW]$/.test(f[2]!)) syms.push({ address: parseInt(f[0]!, 16), size: parseInt(f[1]!, 16), type: f[2]!, name: f[3]! });
    else if (f.length === 3 && /^[tTwW]$/.test(f[1]!)) syms.push({ address: parseInt(f[0]!, 16), size: 0, type: f[1]!, name: f[2]! });
  }
  return syms;
}
