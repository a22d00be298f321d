// The calling thread's kernel id and its nice value: what scheduling code (the loop's SCHED_FIFO, the emulators' yield) acts on.
import { readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The calling thread's kernel thread id (Linux: /proc/thread-self links to <pid>/task/<tid>). */
export function currentTid(): number {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (!Number.isInteger(tid) || tid <= 0) throw new Error('cannot tell this thread\'s id from /proc/thread-self');
  return tid;
}

/**
 * Makes the calling thread `by` nicer than it is (at most 19; Linux applies setpriority to one thread when given its
 * tid). Raising the value needs no privilege; returns the error's sentence instead of throwing, so a platform without
 * it runs at the default.
 */
export function niceThisThread(by: number): string | null {
  try {
    const tid = currentTid();
    setPriority(tid, Math.min(19, getPriority(tid) + by));
    return null;
  } catch (e) {
    return `cannot make this thread ${by} nicer: ${(e as Error).message}`;
  }
}

/** Field n (1-based, as proc(5) numbers them) of /proc/self/task/<tid>/stat, for n >= 3. */
export function threadStatField(tid: number, n: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its closing one.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3]);
}

/** The nice value of a thread of this process. */
export const readNice = (tid: number): number => threadStatField(tid, 19);
