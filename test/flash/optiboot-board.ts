// Test helper: the emulated Uno with Optiboot (host/flash/simavr, simavr in real time) speaking on a pty, as a board on USB.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../../host/hw/board.ts';

export const SIM_DIR = path.join(ROOT, 'host/flash/simavr');
export const HARNESS = path.join(SIM_DIR, 'build/optiboot_sim');
export const OPTIBOOT = path.join(SIM_DIR, 'build/optiboot_atmega328.hex');
export const BOOT_ADDR = 0x7e00;

/** Starts the emulated Uno; resolves with the pty it speaks on. */
export async function startBoard(dumpPath: string): Promise<{ child: ChildProcess; pty: string; stderr: string[] }> {
  const child = spawn(HARNESS, ['--boot', OPTIBOOT, '--dump', dumpPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (b: Buffer) => stderr.push(b.toString()));
  const lines = createInterface({ input: child.stdout! });
  const pty = await new Promise<string>((resolve, reject) => {
    lines.once('line', (l) => (l.startsWith('PTY ') ? resolve(l.slice(4)) : reject(new Error(`harness said: ${l}`))));
    child.once('exit', (code) => reject(new Error(`harness exited (${code}): ${stderr.join('')}`)));
  });
  return { child, pty, stderr };
}

export async function stopBoard(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

/** Builds the harness (and Optiboot) when needed. */
export function buildHarness(): void {
  execFileSync('make', ['-s', '-C', SIM_DIR], { stdio: ['ignore', 'ignore', 'inherit'] });
}
