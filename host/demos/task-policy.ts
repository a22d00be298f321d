// What the task demo does after each planner task: keep the scene or draw a new one, how long to wait first, and the score line.
import { Backoff, type BackoffOptions } from '../util/backoff.ts';

export interface TaskScore {
  /** Planner tasks run, and how they ended. */
  tasks: number;
  done: number;
  failed: number;
  /** Scenes drawn, and the blocks they held (each block counted once, in the scene it came with). */
  scenes: number;
  blocks: number;
  /** Blocks put in the bin. */
  placed: number;
}

export const emptyScore = (): TaskScore => ({ tasks: 0, done: 0, failed: 0, scenes: 0, blocks: 0, placed: 0 });

/** Counts what it says: blocks placed out of the blocks the scenes held, and tasks by how they ended. */
export function scoreLine(s: TaskScore): string {
  return `${s.placed}/${s.blocks} blocks in the bin over ${s.scenes} scene(s); ${s.tasks} task(s): ${s.done} done, ${s.failed} failed`;
}

export interface NextRound {
  /** Draw a new scene before the next task (a failed task is never retried on the same scene). */
  new_scene: boolean;
  /** [ms] wait before the next task: 0 after a success, a growing, capped backoff after consecutive failures. */
  wait_ms: number;
}

/** After a failed or stopped task: at most one retry per 2 s at first, backing off to one a minute while they keep failing. */
export const TASK_RETRY: BackoffOptions = { initial_ms: 2000, max_ms: 60_000 };

export class TaskPolicy {
  private readonly backoff: Backoff;
  constructor(o: BackoffOptions = TASK_RETRY) {
    this.backoff = new Backoff(o);
  }

  /** Consecutive failed tasks. */
  get failures(): number {
    return this.backoff.attempts;
  }

  after(outcome: 'done' | 'failed' | 'stopped' | 'cancelled', free_blocks_left: number): NextRound {
    if (outcome === 'done') {
      this.backoff.succeed();
      return { new_scene: free_blocks_left === 0, wait_ms: 0 };
    }
    return { new_scene: true, wait_ms: this.backoff.fail() };
  }
}
