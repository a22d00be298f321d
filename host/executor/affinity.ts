// A CPU of its own for the loop thread: the loop pinned to one CPU, every other thread of this process to the rest.
//
// Why (docs/executor.md, "A CPU for the loop"): under the default scheduler the loop shares its CPU with the process's
// own work (MQTT, JSON parsing of planner replies, GC helpers), and each time that work lands on the loop's CPU it can
// preempt the loop mid-tick. Affinity is allowed without privileges, like ros2_control's `cpu_affinity` and
// cyclictest's `-a`. Threads started later inherit the mask of the thread that starts them (the main thread's), so
// they stay off the loop's CPU too. Other processes are not moved: a local LLM server or a busy process can still run
// there (taskset them, or use `--rt-priority`). Loops of several processes on one machine claim their CPUs in a shared
// folder, so that a second process's 'auto' takes another CPU or stays unpinned rather than doubling up.
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { placeExclusiveSync, processAlive } from '../util/file-lock.ts';

const run = promisify(execFile);

export interface AffinityStatus {
  /** The CPU the loop thread runs on alone (within this process), or null when pinning was refused. */
  loop_cpu: number | null;
  /** The CPUs every other thread of this process may use. */
  other_cpus: number[];
  /** Set when it was refused or partly failed: what and why. The loop runs either way. */
  error: string | null;
}

/** "0-3,6" -> [0, 1, 2, 3, 6] (the kernel's cpu list format, /proc/<pid>/status Cpus_allowed_list). */
export function parseCpuList(s: string): number[] {
  const out = new Set<number>();
  for (const part of s.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`not a CPU list: "${s}"`);
    const lo = Number(m[1]), hi = Number(m[2] ?? m[1]);
    if (hi < lo) throw new Error(`not a CPU list: "${s}" (range ${part} runs backwards)`);
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

/** The CPUs thread `tid` of this process may run on. */
export function threadCpus(tid: number): number[] {
  const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
  const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(status);
  if (!m) throw new Error(`/proc/self/task/${tid}/status has no Cpus_allowed_list`);
  return parseCpuList(m[1]!);
}

/**
 * The loop's CPU out of `free` (the CPUs this process may use that none of its own pinned loops holds), leaving out
 * `claimed` (CPU -> pid: the loops of other processes): `asked`, or for 'auto' the highest one (CPU 0 takes most
 * interrupts). At least one CPU must remain for the rest of the process, and it stays off the other loops' CPUs too.
 */
export function chooseLoopCpu(
  free: readonly number[], asked: number | 'auto', claimed: ReadonlyMap<number, number> = new Map(),
): { cpu: number; others: number[] } | { error: string } {
  const held = free.filter((c) => claimed.has(c)).map((c) => `CPU ${c} by pid ${claimed.get(c)}`);
  const heldNote = held.length ? `; held by other processes' loops: ${held.join(', ')}` : '';
  if (asked !== 'auto' && claimed.has(asked)) return { error: `CPU ${asked} is held by the loop of pid ${claimed.get(asked)}` };
  const usable = free.filter((c) => !claimed.has(c));
  if (usable.length < 2) return { error: `${usable.length} CPU${usable.length === 1 ? '' : 's'} free for this process (${usable.join(',') || 'none'}${heldNote}): a CPU for the loop needs two` };
  const cpu = asked === 'auto' ? usable[usable.length - 1]! : asked;
  if (!usable.includes(cpu)) return { error: `CPU ${cpu} is not one this process may use freely (${usable.join(',')})` };
  return { cpu, others: usable.filter((c) => c !== cpu) };
}

/** The folder where pinned loops claim their CPUs, one file per CPU holding the pid (GANGLION_LOOP_CPU_CLAIMS to move it). */
export function claimDir(): string {
  return process.env.GANGLION_LOOP_CPU_CLAIMS ?? path.join(tmpdir(), 'ganglion-loop-cpus');
}

/** CPU -> pid for the loops of other live processes on this machine. Stale and unreadable claims are skipped. */
export function claimsElsewhere(dir = claimDir()): Map<number, number> {
  const out = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out; // no loop has claimed a CPU yet
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let pid: number;
    try {
      pid = Number(readFileSync(path.join(dir, name), 'utf8').trim());
    } catch {
      continue; // released meanwhile
    }
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) out.set(Number(name), pid);
  }
  return out;
}

/**
 * Claims `cpu` for this process. The claim is placed whole and exclusively (util/file-lock's placeExclusiveSync), so of
 * two processes racing for one CPU only one gets it, and nobody reads a half-written claim. Unlike a file lock it is
 * held as long as the loop runs, so it has no age limit, only the liveness of its pid: a stale claim is taken over.
 * Returns the reason when another live process holds it.
 */
function claim(cpu: number, dir = claimDir()): string | null {
  const file = path.join(dir, String(cpu));
  try {
    mkdirSync(dir, { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      if (placeExclusiveSync(file, `${process.pid}\n`)) return null;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // released meanwhile: try again
      }
      const owner = Number(text.trim());
      if (owner === process.pid) return null;
      if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) return `CPU ${cpu} is held by the loop of pid ${owner}`;
      if (readFileSync(file, 'utf8') === text) rmSync(file, { force: true }); // stale: its process is gone
    }
    return `CPU ${cpu}: its claim changed hands while it was taken over`;
  } catch (e) {
    return `cannot claim CPU ${cpu} in ${dir}: ${(e as Error).message}`;
  }
}

/** Drops this process's claim on `cpu` (never another process's). */
function release(cpu: number, dir = claimDir()): void {
  const file = path.join(dir, String(cpu));
  try {
    if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

/** Sets one thread's CPUs. A thread that ended meanwhile is not an error. */
async function setThreadCpus(tid: number, cpus: readonly number[]): Promise<void> {
  try {
    await run('taskset', ['-p', '-c', cpus.join(','), String(tid)], { timeout: 5000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.stderr?.includes('No such process')) return;
    throw new Error(
      `cannot set thread ${tid} to CPUs ${cpus.join(',')}: ${err.code === 'ENOENT' ? 'taskset is not installed (Debian: util-linux)' : err.stderr?.trim() || err.message}`,
    );
  }
}

/** This process's CPUs before the first loop was pinned; restored when the last pinned loop stops. */
let original: number[] | null = null;
/** Pinned loop threads and their CPUs. */
const pinned = new Map<number, number>();

/** Every thread of this process but the pinned loops gets `cpus`. */
async function moveOthers(cpus: readonly number[]): Promise<void> {
  const tids = readdirSync('/proc/self/task').map(Number).filter((t) => !pinned.has(t));
  await Promise.all(tids.map((t) => setThreadCpus(t, cpus)));
}

/**
 * Gives loop thread `loopTid` a CPU of its own within this process. Never throws: the status says what failed. Pair
 * each call with unpinLoop() when that loop stops.
 */
export async function pinLoop(loopTid: number, asked: number | 'auto'): Promise<AffinityStatus> {
  const base = original ?? threadCpus(process.pid);
  const held = new Set(pinned.values());
  const choice = chooseLoopCpu(base.filter((c) => !held.has(c)), asked, claimsElsewhere());
  if ('error' in choice) return { loop_cpu: null, other_cpus: threadCpus(process.pid), error: `no CPU for the loop: ${choice.error}` };
  const refused = claim(choice.cpu);
  if (refused) return { loop_cpu: null, other_cpus: threadCpus(process.pid), error: `no CPU for the loop: ${refused}` };
  original = base;
  pinned.set(loopTid, choice.cpu);
  try {
    await setThreadCpus(loopTid, [choice.cpu]);
    await moveOthers(choice.others);
    return { loop_cpu: choice.cpu, other_cpus: choice.others, error: null };
  } catch (e) {
    const undo = await unpinLoop(loopTid);
    return { loop_cpu: null, other_cpus: threadCpus(process.pid), error: (e as Error).message + (undo ? `; undoing it: ${undo}` : '') };
  }
}

/** A pinned loop stopped: its CPU goes back to the rest of the process. Resolves with a failure's reason. */
export async function unpinLoop(loopTid: number): Promise<string | null> {
  const cpu = pinned.get(loopTid);
  if (cpu === undefined || !pinned.delete(loopTid) || !original) return null;
  release(cpu);
  const held = new Set(pinned.values());
  const others = original.filter((c) => !held.has(c));
  if (!pinned.size) original = null;
  try {
    await moveOthers(others);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** One line for logs. */
export function describeAffinity(s: AffinityStatus): string {
  if (s.loop_cpu === null) return `loop CPU not set (${s.error}); the process runs on CPUs ${s.other_cpus.join(',')}`;
  return `loop thread alone on CPU ${s.loop_cpu}, the rest of the process on ${s.other_cpus.join(',')}` + (s.error ? ` (${s.error})` : '');
}
