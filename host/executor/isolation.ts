// Unprivileged loop isolation under the default scheduler: a short EEVDF slice for the loop thread, SCHED_BATCH for the thread it wakes.
//
// Why (docs/executor.md, "the loop under the default scheduler with every core busy"): the loop wakes the main thread each
// tick, the kernel runs that thread on the loop's CPU and it preempts the loop; and a loop that wakes while a busy process
// holds its slice waits for that slice to end. SCHED_BATCH wakees never preempt on wake-up, and a thread whose slice is
// shorter than the running one's preempts it at once (EEVDF, Linux >= 6.12). Both are allowed without privileges.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
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

const run = promisify(execFile);

/**
 * The helper, built once per process into a private temp folder (mkdtemp: mode 0700, a fresh name), never a shared
 * path another user could have put a binary at; removed when the process exits. cc is part of the toolchain setup
 * installs. The build (~0.2-0.4 s) and every call are asynchronous: the main thread keeps serving the MCU links, whose
 * watchdogs may be 100 ms.
 */
let helperBin: Promise<string> | null = null;
function helper(): Promise<string> {
  if (helperBin) return helperBin;
  const dir = mkdtempSync(path.join(tmpdir(), 'ganglion-sched-attr-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'sched-attr');
  helperBin = run('cc', ['-std=c11', '-O2', SOURCE, '-o', bin], { timeout: 60_000 }).then(() => bin);
  helperBin.catch(() => (helperBin = null)); // a failed build is retried by the next call
  return helperBin;
}

/** The helper's folder was removed under us (a temp cleaner): the next call builds it again. */
function helperGone(e: NodeJS.ErrnoException & { path?: string }): boolean {
  if (e.code !== 'ENOENT' || e.path === 'cc') return false;
  helperBin = null;
  return true;
}

/** Sets a thread's normal-class policy and slice; resolves with the slice the kernel reports, or rejects with the reason. */
export async function setNormalSchedule(tid: number, policy: 'other' | 'batch', slice_ns: number): Promise<number> {
  try {
    const bin = await helper();
    const { stdout: out } = await run(bin, [String(tid), policy, String(slice_ns)], { timeout: 5000 });
    const m = /slice_ns (\d+)/.exec(out);
    if (!m) throw new Error(`unexpected answer: ${out.trim()}`);
    return Number(m[1]);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string; path?: string };
    const detail = helperGone(err)
      ? 'the helper was removed from the temp folder; it is built again on the next call'
      : err.code === 'ENOENT' ? 'cc is not installed (Debian: apt install gcc)' : err.stderr?.trim() || err.message;
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
export async function isolateLoop(loopTid: number, mainTid = process.pid): Promise<IsolationStatus> {
  const first = held++ === 0;
  const errors: string[] = [];
  let loop_slice_ns: number | null = null;
  try {
    loop_slice_ns = await setNormalSchedule(loopTid, 'other', LOOP_SLICE_NS);
    if (loop_slice_ns !== LOOP_SLICE_NS) errors.push(`the kernel kept a ${loop_slice_ns} ns slice for the loop (custom slices need Linux 6.12)`);
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (first && readScheduling(mainTid).policy === 'SCHED_OTHER') {
    try {
      await setNormalSchedule(mainTid, 'batch', 0);
      mainBatched = true;
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return { loop_slice_ns, main_policy: readScheduling(mainTid).policy, error: errors.length ? errors.join('; ') : null };
}

/** An isolated loop stopped: when it was the last, the main thread gets SCHED_OTHER back. Resolves with a failure's reason. */
export async function releaseLoop(mainTid = process.pid): Promise<string | null> {
  if (--held > 0 || !mainBatched) return null;
  mainBatched = false;
  try {
    await setNormalSchedule(mainTid, 'other', 0);
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
