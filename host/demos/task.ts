// The task `ganglion run` repeats on the live (or emulated) robot: the planner puts all blocks in the bin, scene after scene, through the skills.
import { sceneAround } from '../world/scene-around.ts';
import { TabletopPerception } from '../world/tabletop-perception.ts';
import type { McuSession } from '../link/session.ts';
import type { RobotRuntime } from '../runtime/runtime.ts';
import type { Planner } from '../planner/planner.ts';
import { formatResult } from '../planner/report.ts';

/** What `npm start` asks the planner, scene after scene (the offline rule planner understands it; so does an LLM). */
export const TASK = 'put all blocks in the bin';

/**
 * Planner tasks until `shouldStop` aborts or `maxTasks` have run: a new scene around the robot when every block is
 * placed. An operator's e-stop is waited out. When an MCU is not armed (a link watchdog trip) or a joint stalled, it
 * stops saying why, unless `rearmsPerMinute` allows clearing and re-arming (simulation only), which it then does at
 * once, in the middle of a task too.
 */
export async function taskRounds(
  rt: RobotRuntime,
  sessions: Map<string, McuSession>,
  planner: Planner,
  shouldStop: AbortSignal,
  score: { tasks: number; blocks: number; placed: number },
  say: (line: string) => void,
  /**
   * Re-arm up to this many times a minute after a link watchdog trip or a stall latch (simulation only: on a loaded
   * machine the emulated MCUs trip when the host stalls). More often than that, it stops: the machine is too busy for
   * the 100 ms windows. On real boards this stays 0: a human looks, then re-arms.
   */
  rearmsPerMinute = 0,
  /** Return after this many planner tasks (`ganglion run --tasks N`). */
  maxTasks = Infinity,
): Promise<void> {
  // The armed state comes from telemetry: give the first frames after `arm` time to arrive.
  await new Promise((r) => setTimeout(r, 500));
  /** MCUs not armed or joints latched by stall detection, as one line; null when the robot is up. */
  const downReason = (): string | null => {
    const down = [...sessions].filter(([, s]) => !s.stats().armed).map(([id, s]) => `${id} [${s.stats().faults.join(', ')}]`);
    const stalled = rt.snapshot().stalled;
    if (!down.length && !stalled.length) return null;
    return [...(down.length ? [`not armed: ${down.join('; ')}`] : []), ...stalled.map((x) => x.reason)].join('; ');
  };
  /** Re-arm when the robot is down and re-arms are left; false when it is down for good (a human has to look). */
  let recovering = false;
  const rearmedAt: number[] = [];
  const recover = async (): Promise<boolean> => {
    const why = downReason();
    if (why === null || recovering) return true;
    const now = performance.now();
    while (rearmedAt.length && now - rearmedAt[0]! > 60_000) rearmedAt.shift();
    if (rearmedAt.length >= rearmsPerMinute) {
      const busy = rearmsPerMinute > 0 ? ` (${rearmedAt.length} re-arms in the last minute: this machine is too busy for the link watchdogs)` : '';
      say(`task stopped: ${why}${busy}. Outputs are at their safe defaults; re-arm (dashboard or cmd/arm) and restart.`);
      return false;
    }
    rearmedAt.push(now);
    say(`${why}: clearing latches and re-arming (simulation demo; ${rearmedAt.length} of ${rearmsPerMinute} re-arms a minute)`);
    recovering = true;
    try {
      await rt.clearEstop();
      await rt.arm();
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      recovering = false;
    }
    return true;
  };
  const table = rt.perception;
  if (!(table instanceof TabletopPerception)) throw new Error('the task demo needs the simulated tabletop world as the runtime\'s perception (blocks and a bin); on real boards use --demo motion');
  let seed = 1;
  while (!shouldStop.aborted) {
    // An operator's e-stop is theirs to clear: wait for it (the dashboard's clear, or cmd/clear), never clear it here.
    if (rt.snapshot().estop.latched) {
      say(`e-stop latched (${rt.snapshot().estop.reason}): waiting for it to be cleared`);
      while (rt.snapshot().estop.latched && !shouldStop.aborted) await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    if (!(await recover())) return;
    if (!table.world.blocks.some((b) => b.state === 'free')) {
      table.world = sceneAround(table.world.base, ++seed);
      say(`new scene (seed ${seed}): ${table.world.blocks.length} blocks and a bin`);
    }
    const inBin = () => table.world.blocks.filter((b) => b.state === 'in_bin').length;
    const before = inBin();
    const free = table.world.blocks.filter((b) => b.state === 'free').length;
    say(`task: ${JSON.stringify(TASK)}`);
    // A trip during the task is recovered at once, so the running skill can still finish within its timeout (waiting
    // for the task to fail first costs every remaining step). Never over an operator's e-stop.
    const stopTask = new AbortController();
    const onStop = () => stopTask.abort();
    shouldStop.addEventListener('abort', onStop);
    const watcher = setInterval(() => {
      if (rt.snapshot().estop.latched || recovering) return;
      void recover().then((ok) => { if (!ok) stopTask.abort(); }, (e: unknown) => {
        say(`re-arm failed: ${(e as Error).message}`);
        stopTask.abort();
      });
    }, 100);
    let result;
    try {
      result = await planner.run(TASK, { signal: stopTask.signal });
    } finally {
      clearInterval(watcher);
      shouldStop.removeEventListener('abort', onStop);
    }
    score.tasks++;
    score.blocks += free;
    score.placed += inBin() - before;
    say(`${formatResult(result)}; ${score.placed}/${score.blocks} blocks in the bin so far`);
    if (result.outcome === 'cancelled' || score.tasks >= maxTasks) return;
  }
}
