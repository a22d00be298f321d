// The task `ganglion run` repeats on the live (or emulated) robot: the planner puts all blocks in the bin, scene after scene, through the skills.
import { feasibleSceneAround } from '../world/feasible-scene.ts';
import { TabletopPerception } from '../world/tabletop-perception.ts';
import { Backoff, sleepUnlessAborted } from '../util/backoff.ts';
import { scoreLine, TaskPolicy, type TaskScore } from './task-policy.ts';
import type { NodeLink } from '../link/node-link.ts';
import type { RobotRuntime } from '../runtime/runtime.ts';
import type { Planner } from '../planner/planner.ts';
import { formatResult } from '../planner/report.ts';

/** What `npm start` asks the planner, scene after scene (the offline rule planner understands it; so does an LLM). */
export const TASK = 'put all blocks in the bin';

/**
 * Planner tasks until `shouldStop` aborts or `maxTasks` have run: a new scene around the robot when every block is
 * placed, or when a task failed (never the same scene again at once), after a capped backoff (TaskPolicy). Every scene
 * is feasible from where the robot is (feasibleSceneAround). An operator's e-stop is waited out. When an MCU is not
 * armed (a link watchdog trip) or a joint stalled, the task waits for a person to re-arm, unless `rearmsPerMinute`
 * allows clearing and re-arming (simulation only), which it then does at once, in the middle of a task too; past that
 * cap it pauses with a capped backoff and goes on. Nothing but `shouldStop` or `maxTasks` ends it.
 */
export async function taskRounds(
  rt: RobotRuntime,
  sessions: Map<string, NodeLink>,
  planner: Planner,
  shouldStop: AbortSignal,
  score: TaskScore,
  say: (line: string) => void,
  /**
   * Re-arm up to this many times a minute after a link watchdog trip or a stall latch (simulation only: on a loaded
   * machine the emulated MCUs trip when the host stalls). More often than that, it pauses (10 s doubling to 2 min): the
   * machine is too busy for the 100 ms windows. On real boards this stays 0: a human looks, then re-arms.
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
  let recovering = false;
  const rearmedAt: number[] = [];
  // Re-arms back to back (a machine too busy for the watchdog windows) wait longer each time, up to 2 s (longer and a
  // running step times out while it waits); 5 s up without one, or a task done, resets it. The cap: rearmsPerMinute.
  const rearmWait = new Backoff({ initial_ms: 500, max_ms: 2000 });
  // Past the cap the demo pauses, then tries again: a long run outlives a busy spell instead of ending in it.
  const busyPause = new Backoff({ initial_ms: 10_000, max_ms: 120_000 });
  /** One re-arm when the robot is down and the cap allows: 'up' (nothing to do), 'rearmed', or 'capped' (wait). */
  const tryRearm = async (): Promise<'up' | 'rearmed' | 'capped'> => {
    const why = downReason();
    if (why === null || recovering) return 'up';
    const now = performance.now();
    while (rearmedAt.length && now - rearmedAt[0]! > 60_000) rearmedAt.shift();
    if (rearmedAt.length >= rearmsPerMinute) return 'capped';
    if (rearmedAt.length && now - rearmedAt.at(-1)! > 5000) rearmWait.succeed();
    rearmedAt.push(now);
    say(`${why}: clearing latches and re-arming (simulation demo; ${rearmedAt.length} of ${rearmsPerMinute} re-arms a minute)`);
    recovering = true;
    try {
      await rt.clearEstop();
      await rt.arm(`the simulation task demo (${rearmedAt.length} of ${rearmsPerMinute} re-arms a minute)`);
      await sleepUnlessAborted(rearmWait.fail(), shouldStop);
    } finally {
      recovering = false;
    }
    return 'rearmed';
  };
  /**
   * Between tasks: the robot up again before the next one. In simulation it re-arms within the cap and past it pauses
   * with a growing, capped wait; on real boards (no re-arm budget) it waits for a person to re-arm (dashboard or
   * cmd/arm), saying so once. A re-arm that throws (the link is down) is a failure with a backoff too, never a tight loop.
   */
  const untilUp = async (): Promise<void> => {
    let said = false;
    while (!shouldStop.aborted) {
      let r: 'up' | 'rearmed' | 'capped';
      try {
        r = await tryRearm();
      } catch (e) {
        say(`re-arm failed: ${(e as Error).message}; trying again later`);
        r = 'capped';
      }
      if (r === 'up') return;
      if (r === 'rearmed') continue;
      if (rearmsPerMinute === 0) {
        if (!said) say(`task paused: ${downReason()}. Outputs are at their safe defaults; re-arm (dashboard or cmd/arm) to go on.`);
        said = true;
        await sleepUnlessAborted(200, shouldStop);
      } else {
        const wait_ms = busyPause.fail();
        say(`task paused ${(wait_ms / 1000).toFixed(0)} s: ${downReason()} (${rearmedAt.length} re-arms in the last minute: this machine is too busy for the link watchdogs)`);
        await sleepUnlessAborted(wait_ms, shouldStop);
      }
    }
  };
  const table = rt.perception;
  if (!(table instanceof TabletopPerception)) throw new Error('the task demo needs the simulated tabletop world as the runtime\'s perception (blocks and a bin); on real boards use --demo motion');
  let seed = 1;
  const policy = new TaskPolicy();
  let needScene = false;
  const drawScene = () => {
    const d = feasibleSceneAround(table.world.base, seed + 1, table.geometry);
    seed = d.seed;
    table.world = d.world;
    score.scenes++;
    score.blocks += d.world.blocks.length;
    const why = d.dropped.length ? ` (${d.dropped.length} draw(s) dropped first, e.g. seed ${d.dropped[0]!.seed}: ${d.dropped[0]!.reason})` : '';
    say(`new scene (seed ${seed}): ${d.world.blocks.length} blocks and a bin${why}`);
  };
  if (score.scenes === 0) {
    score.scenes = 1;
    score.blocks += table.world.blocks.filter((b) => b.state === 'free').length;
  }
  while (!shouldStop.aborted) {
    // An operator's e-stop is theirs to clear: wait for it (the dashboard's clear, or cmd/clear), never clear it here.
    if (rt.snapshot().estop.latched) {
      say(`e-stop latched (${rt.snapshot().estop.reason}): waiting for it to be cleared`);
      while (rt.snapshot().estop.latched && !shouldStop.aborted) await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    await untilUp();
    if (shouldStop.aborted) return;
    if (needScene || !table.world.blocks.some((b) => b.state === 'free')) drawScene();
    needScene = false;
    const inBin = () => table.world.blocks.filter((b) => b.state === 'in_bin').length;
    const before = inBin();
    say(`task: ${JSON.stringify(TASK)}`);
    // A trip during the task is recovered at once, so the running skill can still finish within its timeout (waiting
    // for the task to fail first costs every remaining step). Never over an operator's e-stop.
    const stopTask = new AbortController();
    const onStop = () => stopTask.abort();
    shouldStop.addEventListener('abort', onStop);
    /** Why the demo itself cut the task short (the robot went down past the cap); null when it was not. */
    let cutShort: string | null = null;
    const watcher = setInterval(() => {
      if (rt.snapshot().estop.latched || recovering || cutShort) return;
      const why = downReason();
      void tryRearm().then((r) => { if (r === 'capped') cutShort = why; }, (e: unknown) => { cutShort = `re-arm failed: ${(e as Error).message}`; })
        .finally(() => { if (cutShort) stopTask.abort(); });
    }, 100);
    let result;
    try {
      result = await planner.run(TASK, { signal: stopTask.signal });
    } finally {
      clearInterval(watcher);
      shouldStop.removeEventListener('abort', onStop);
    }
    // Cut short by the demo, not by the user: a failure like any other (a new scene after the backoff), not the end.
    if (result.outcome === 'cancelled' && !shouldStop.aborted) {
      say(`task cut short: ${cutShort ?? 'cancelled'}`);
      result = { ...result, outcome: 'failed' as const };
    }
    score.tasks++;
    if (result.outcome === 'done') {
      score.done++;
      rearmWait.succeed();
      busyPause.succeed();
    }
    else if (result.outcome !== 'cancelled') score.failed++;
    score.placed += inBin() - before;
    // The score on a line of its own: formatResult may end with the model's quoted claim, which the score is not part of.
    say(formatResult(result));
    say(`score: ${scoreLine(score)}`);
    if (result.outcome === 'cancelled' || score.tasks >= maxTasks) return;
    const next = policy.after(result.outcome, table.world.blocks.filter((b) => b.state === 'free').length);
    needScene = next.new_scene;
    if (next.wait_ms > 0) {
      say(`task ${result.outcome} (${policy.failures} in a row): a new scene after ${(next.wait_ms / 1000).toFixed(0)} s, not a retry on this one`);
      await sleepUnlessAborted(next.wait_ms, shouldStop);
    }
  }
}
