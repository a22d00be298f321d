// Real-time scheduling for the loop thread (SCHED_FIFO through chrt, as ros2_control asks for its controller thread), read back from /proc.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { threadStatField } from '../util/thread.ts';

/** What the loop thread ended up with; `requested` is null when real-time scheduling was not asked for. */
export interface RealtimeStatus {
  requested: number | null;
  /** The kernel's thread id of the loop thread (what `chrt -p` and `top -H` show). */
  tid: number;
  policy: string;
  /** 1..99 under SCHED_FIFO / SCHED_RR, 0 otherwise. */
  rt_priority: number;
  /** Set when the request failed: what went wrong and how to allow it. */
  error: string | null;
  /** The kernel is PREEMPT_RT (/sys/kernel/realtime), which bounds the worst case far below a stock kernel's. */
  preempt_rt: boolean;
}

// Policy numbers from <sched.h>, as /proc/<pid>/task/<tid>/stat reports them.
const POLICIES = ['SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE'];

/** Scheduling policy and real-time priority of a thread of this process, from /proc. */
export function readScheduling(tid: number): { policy: string; rt_priority: number } {
  const rt_priority = threadStatField(tid, 40);
  const policy = threadStatField(tid, 41);
  return { policy: POLICIES[policy] ?? `policy ${policy}`, rt_priority };
}

export function isPreemptRt(): boolean {
  return existsSync('/sys/kernel/realtime') && readFileSync('/sys/kernel/realtime', 'utf8').trim() === '1';
}

/**
 * Puts thread `tid` of this process under SCHED_FIFO at `priority` (1..98) and reads back what it got. Never throws
 * for a refusal: the status says why and how to allow it.
 */
export function requestFifo(tid: number, priority: number): RealtimeStatus {
  const preempt_rt = isPreemptRt();
  let error: string | null = null;
  if (!Number.isInteger(priority) || priority < 1 || priority > 98) {
    error = `real-time priority ${priority} is out of range: use 1..98 (99 is left to the kernel's own threads)`;
  } else {
    try {
      execFileSync('chrt', ['-f', '-p', String(priority), String(tid)], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
      const detail = err.code === 'ENOENT' ? 'chrt is not installed (Debian: apt install util-linux)' : (err.stderr?.toString().trim() || err.message);
      error =
        `SCHED_FIFO priority ${priority} for the loop thread was refused: ${detail}. Run as root, or allow your user ` +
        `real-time priorities: add "@realtime - rtprio 98" to /etc/security/limits.d/realtime.conf, ` +
        `"sudo groupadd -f realtime && sudo usermod -aG realtime $USER", then log in again (as ros2_control documents)`;
    }
  }
  const got = readScheduling(tid);
  if (!error && (got.policy !== 'SCHED_FIFO' || got.rt_priority !== priority))
    error = `asked for SCHED_FIFO priority ${priority}, the thread has ${got.policy} priority ${got.rt_priority}`;
  return { requested: priority, tid, ...got, error, preempt_rt };
}

/** One line for logs: what the loop thread runs under. */
export function describeRealtime(s: RealtimeStatus): string {
  const kernel = s.preempt_rt ? 'PREEMPT_RT kernel' : 'stock kernel (not PREEMPT_RT)';
  if (s.requested === null) return `loop thread ${s.tid}: ${s.policy} (no real-time priority asked for; --rt-priority N), ${kernel}`;
  if (s.error) return `loop thread ${s.tid}: ${s.policy}, real-time priority NOT set: ${s.error}`;
  return `loop thread ${s.tid}: ${s.policy} priority ${s.rt_priority}, ${kernel}`;
}
