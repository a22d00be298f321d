// Runs the posix build of the firmware (the portable core as a Linux process, like Klipper's Linux MCU) and
// hands out the pseudo-terminal it speaks on: for tests, benchmarks and `ganglion run --posix`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT, type Board } from '../hw/board.ts';

export const POSIX_FIRMWARE = path.join(ROOT, 'firmware/build/posix/ganglion');

export interface PosixMcuOptions {
  binary?: string;
  /** File that keeps the node id across runs (the EEPROM); absent = a fresh, empty EEPROM each start. */
  eepromPath?: string;
  args?: string[];
  /** [ms] the process must print its PTY line within this. */
  startTimeoutMs?: number;
}

/** The posix firmware reports MCU type POSIX but emulates an Uno's pins: the same board profile, other MCU type. */
export function asPosixBoard(board: Board): Board {
  return { ...board, mcu: 'posix' };
}

export class PosixMcu {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stderrTail: string[] = [];
  private readonly exitListeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
  /** The pty the running firmware opened, e.g. /dev/pts/7. */
  ptyPath: string | null = null;

  constructor(private readonly o: PosixMcuOptions = {}) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Called when the firmware process exits for any reason. */
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    this.exitListeners.push(listener);
  }

  /** Starts the firmware and resolves with its pty path once it printed `PTY <path>`. */
  async start(): Promise<string> {
    if (this.child) throw new Error(`posix firmware already running (pid ${this.child.pid})`);
    const bin = this.o.binary ?? POSIX_FIRMWARE;
    if (!existsSync(bin)) throw new Error(`posix firmware not built at ${bin}: run \`make -C firmware all\``);
    const args = [...(this.o.eepromPath ? ['--eeprom', this.o.eepromPath] : []), ...(this.o.args ?? [])];
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.stderrTail = [];
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = null;
        this.ptyPath = null;
        for (const l of this.exitListeners) l(code, signal);
        resolve();
      });
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
    const lines = createInterface({ input: child.stdout! });
    const timeoutMs = this.o.startTimeoutMs ?? 5000;
    try {
      const pty = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`posix firmware printed no PTY line within ${timeoutMs} ms${this.tail()}`)), timeoutMs);
        lines.once('line', (line) => {
          clearTimeout(timer);
          const m = /^PTY (\S+)$/.exec(line.trim());
          if (m) resolve(m[1]!);
          else reject(new Error(`posix firmware's first line was "${line}", expected "PTY <path>"`));
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`posix firmware exited (${signal ?? `code ${code}`}) before opening its pty${this.tail()}`));
        });
        child.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      // Keep draining stdout so a chatty firmware never blocks on a full pipe.
      lines.on('line', () => undefined);
      this.ptyPath = pty;
      return pty;
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within a second. Resolves once it is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), 1000);
    await this.exited;
    clearTimeout(killer);
  }

  async restart(): Promise<string> {
    await this.stop();
    return this.start();
  }

  private tail(): string {
    return this.stderrTail.length ? `; its stderr ended with: ${this.stderrTail.slice(-5).join(' | ')}` : '';
  }
}
