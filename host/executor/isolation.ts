// Unprivileged loop isolation under the default scheduler: a short EEVDF slice for the loop thread, SCHED_BATCH for the thread it wakes.
//
// Why (docs/executor.md, "the loop under the default scheduler with every core busy"): the loop wakes the main thread each
// tick, the kernel runs that thread on the loop's CPU and it preempts the loop; and a loop that wakes while a busy process
// holds its slice waits for that slice to end. SCHED_BATCH wakees never preempt on wake-up, and a thread whose slice is
// shorter than the running one's preempts it at once (EEVDF, Linux >= 6.12). Both are allowed without privileges.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readScheduling } from './realtime.ts';

/** [ns] The loop thread's slice: well under the default (~1.4 ms here), well over a tick (~30 us). */
export const LOOP_SLICE_NS = 100_000;

const SOURCE = fileURLToPath(new URL('./native/sched-attr.c', import.meta.url));

export interface IsolationStatus {
  /** [ns] the loop thread's slice as the kernel reports it afterwards. */
  loop_slice_ns: number | null;
  /** The policy of the thread the loop wakes (the main thread), afterwards. */
  main_policy: string;
  /** Set when a part was refused: what and why. The loop runs either way. */
  error: string | null;
}

/**
 * The helper, built once per process into a private temp folder (mkdtemp: mode 0700, a fresh name), never a shared
 * path another user could have put a binary at; removed when the process exits. cc is part of the toolchain setup
 * installs; the build takes ~0.2 s.
 */
let helperBin: string | null = null;
function helper(): string {
  if (helperBin && existsSync(helperBin)) return helperBin;
  const dir = mkdtempSync(path.join(tmpdir(), 'ganglion-sched-attr-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'sched-attr');
  execFileSync('cc', ['-std=c11', '-O2', SOURCE, '-o', bin], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  return (helperBin = bin);
}

/** Sets a thread's normal-class policy and slice; returns the slice the kernel reports, or throws with the reason. */
export function setNormalSchedule(tid: number, policy: 'other' | 'batch', slice_ns: number): number {
  try {
    const out = execFileSync(helper(), [String(tid), policy, String(slice_ns)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 }).toString();
    const m = /slice_ns (\d+)/.exec(out);
    if (!m) throw new Error(`unexpected answer: ${out.trim()}`);
    return Number(m[1]);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const detail = err.code === 'ENOENT' ? 'cc is not installed (Debian: apt install gcc)' : err.stderr?.toString().trim() || err.message;
    throw new Error(`cannot set ${policy} scheduling with a ${slice_ns} ns slice for thread ${tid}: ${detail}`);
  }
}

/** Isolated loops running in this process; the main thread is released when the last one stops. */
let held = 0;
/** Whether isolation made the main thread SCHED_BATCH (a main thread the user had already scheduled otherwise is left alone). */
let mainBatched = false;

/**
 * Isolates the loop thread `loopTid` from the main thread, which it wakes. Never throws: the status says what failed.
 * Pair each call with releaseLoop() when that loop stops.
 */
export function isolateLoop(loopTid: number, mainTid = process.pid): IsolationStatus {
  const errors: string[] = [];
  let loop_slice_ns: number | null = null;
  try {
    loop_slice_ns = setNormalSchedule(loopTid, 'other', LOOP_SLICE_NS);
    if (loop_slice_ns !== LOOP_SLICE_NS) errors.push(`the kernel kept a ${loop_slice_ns} ns slice for the loop (custom slices need Linux 6.12)`);
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (held++ === 0 && readScheduling(mainTid).policy === 'SCHED_OTHER') {
    try {
      setNormalSchedule(mainTid, 'batch', 0);
      mainBatched = true;
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return { loop_slice_ns, main_policy: readScheduling(mainTid).policy, error: errors.length ? errors.join('; ') : null };
}

/** An isolated loop stopped: when it was the last, the main thread gets SCHED_OTHER back. Returns a failure's reason. */
export function releaseLoop(mainTid = process.pid): string | null {
  if (--held > 0 || !mainBatched) return null;
  mainBatched = false;
  try {
    setNormalSchedule(mainTid, 'other', 0);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** One line for logs. */
export function describeIsolation(s: IsolationStatus): string {
  const got = `loop slice ${s.loop_slice_ns === null ? 'unchanged' : `${s.loop_slice_ns / 1000} us`}, main thread ${s.main_policy}, no spin`;
  return s.error ? `isolation partly refused (${got}): ${s.error}` : `isolation: ${got}`;
}
