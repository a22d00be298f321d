// An advisory lock file beside a data file, so read-modify-write updates from several processes (the robot's planner, the CLI) never lose one another.
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface LockOptions {
  /** [ms] give up after waiting this long for another holder (default 10 s). */
  timeout_ms?: number;
  /** [ms] a lock older than this is taken to be left behind by a crash, whatever its pid says (default 60 s). */
  stale_ms?: number;
}

interface Holder {
  pid: number;
  at_ms: number;
}

const lockPath = (file: string) => `${file}.lock`;
// The lock is made whole in a private file, then hard-linked into place: link() fails if the lock exists, and a
// waiter never reads a half-written one.
const privatePath = (target: string) => `${target}-${process.pid}-${Math.random().toString(36).slice(2)}`;
const holderText = () => `${process.pid} ${Date.now()}\n`;

/**
 * Creates `target` holding `text`, whole or not at all (written privately, then hard-linked into place). False when
 * `target` exists: of several processes racing for it, exactly one creates it.
 */
export function placeExclusiveSync(target: string, text: string): boolean {
  const mine = privatePath(target);
  writeFileSync(mine, text, { mode: 0o644 });
  try {
    linkSync(mine, target);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    rmSync(mine, { force: true });
  }
}

function parseHolder(text: string): Holder | null {
  const m = /^(\d+) (\d+)/.exec(text);
  return m ? { pid: Number(m[1]), at_ms: Number(m[2]) } : null;
}

/** Whether process `pid` runs (a lock or claim left by a process that is gone can be broken). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Whether the lock can be broken: its holder is gone, it is too old, or it is unreadable. */
function abandoned(holder: Holder | null, stale_ms: number): boolean {
  return holder === null || !processAlive(holder.pid) || Date.now() - holder.at_ms > stale_ms;
}

function timeoutError(file: string, holder: Holder | null, timeout_ms: number): Error {
  const who = holder ? `process ${holder.pid} (since ${new Date(holder.at_ms).toISOString()})` : 'another process';
  return new Error(`${file} is locked by ${who}; gave up after ${timeout_ms} ms. If no Ganglion process is running, delete ${lockPath(file)}`);
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Runs fn while holding `<file>.lock`; waits (blocking) for another holder. For CLIs and other synchronous callers. */
export function withFileLockSync<T>(file: string, fn: () => T, o: LockOptions = {}): T {
  const lock = lockPath(file);
  const timeout_ms = o.timeout_ms ?? 10_000;
  const t0 = Date.now();
  mkdirSync(path.dirname(file), { recursive: true });
  for (let wait = 2; ; wait = Math.min(wait * 2, 100)) {
    if (placeExclusiveSync(lock, holderText())) break;
    const read = () => {
      try {
        return readFileSync(lock, 'utf8');
      } catch {
        return null; // released meanwhile
      }
    };
    const text = read();
    if (text === null) continue;
    const holder = parseHolder(text);
    if (abandoned(holder, o.stale_ms ?? 60_000)) {
      if (read() === text) rmSync(lock, { force: true }); // still the same abandoned lock, not a new holder's
      continue;
    }
    if (Date.now() - t0 > timeout_ms) throw timeoutError(file, holder, timeout_ms);
    Atomics.wait(pause, 0, 0, wait);
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Runs fn while holding `<file>.lock`, waiting without blocking the thread. */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, o: LockOptions = {}): Promise<T> {
  const lock = lockPath(file);
  const timeout_ms = o.timeout_ms ?? 10_000;
  const t0 = Date.now();
  await mkdir(path.dirname(file), { recursive: true });
  for (let wait = 2; ; wait = Math.min(wait * 2, 100)) {
    const mine = privatePath(lock);
    await writeFile(mine, holderText(), { mode: 0o644 });
    try {
      await link(mine, lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      await rm(mine, { force: true });
    }
    const read = () => readFile(lock, 'utf8').catch(() => null);
    const text = await read();
    if (text === null) continue;
    const holder = parseHolder(text);
    if (abandoned(holder, o.stale_ms ?? 60_000)) {
      if ((await read()) === text) await rm(lock, { force: true }); // still the same abandoned lock, not a new holder's
      continue;
    }
    if (Date.now() - t0 > timeout_ms) throw timeoutError(file, holder, timeout_ms);
    await new Promise((r) => setTimeout(r, wait));
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}
