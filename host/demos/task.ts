// The task `ganglion run` repeats on the live (or emulated) robot: pick the nearest block and put it in the bin, via skills.
import { APPROACH_STANDOFF_M } from '../sim/kinematic/pick-place.ts';
import { createWorld, perceive, randomScene, type Scene, type World } from '../sim/world.ts';
import type { Pose2 } from '../skills/arm.ts';
import type { McuSession } from '../link/session.ts';
import type { RobotRuntime } from '../runtime/runtime.ts';

/** A random scene re-expressed around the robot's current pose, so a new round starts where the last one ended. */
export function sceneAround(pose: Pose2, seed: number): World {
  const s = randomScene(seed);
  const c = Math.cos(pose.heading_rad - s.base.heading_rad);
  const n = Math.sin(pose.heading_rad - s.base.heading_rad);
  const move = (x: number, y: number) => {
    const dx = x - s.base.x_m;
    const dy = y - s.base.y_m;
    return { x_m: pose.x_m + c * dx - n * dy, y_m: pose.y_m + n * dx + c * dy };
  };
  const scene: Scene = {
    base: { ...pose },
    blocks: s.blocks.map((b) => ({ ...b, ...move(b.x_m, b.y_m) })),
    bin: { ...s.bin, ...move(s.bin.x_m, s.bin.y_m) },
  };
  return createWorld(scene);
}

export interface StepLog {
  skill: string;
  outcome: string;
  elapsed_s: number;
}

/** One round: nearest free block -> bin. Resolves true when that block ends in the bin. */
export async function pickNearestIntoBin(rt: RobotRuntime, say: (line: string) => void): Promise<boolean> {
  const w = rt.world;
  if (!w) throw new Error('the pick-and-place task needs the simulated world');
  const seen = perceive(w);
  const free = seen.objects.filter((o) => o.id !== w.bin.id && w.blocks.find((b) => b.id === o.id)?.state === 'free');
  if (!free.length) return false;
  const d = (o: { x_m: number; y_m: number }) => Math.hypot(o.x_m - w.base.x_m, o.y_m - w.base.y_m);
  const block = free.sort((a, b) => d(a) - d(b))[0]!;
  const step = async (skill: string, args: Record<string, unknown>): Promise<boolean> => {
    const t0 = performance.now();
    try {
      const s = await rt.runSkill(skill, args);
      say(`  ${skill.padEnd(8)} ${s.state}${s.reason ? ` (${s.reason})` : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return s.state === 'done';
    } catch (e) {
      say(`  ${skill.padEnd(8)} refused: ${(e as Error).message}`);
      return false;
    }
  };
  say(`pick ${block.id} (${JSON.stringify(block.label)}) at (${block.x_m.toFixed(2)}, ${block.y_m.toFixed(2)}) m -> bin`);
  const ok =
    (await step('drive_to', { x_m: block.x_m, y_m: block.y_m, standoff_m: APPROACH_STANDOFF_M })) &&
    (await step('reach', { x_m: block.x_m, y_m: block.y_m })) &&
    (await step('grasp', { object_id: block.id })) &&
    (await step('drive_to', { x_m: w.bin.x_m, y_m: w.bin.y_m, standoff_m: APPROACH_STANDOFF_M })) &&
    (await step('reach', { x_m: w.bin.x_m, y_m: w.bin.y_m })) &&
    (await step('release', {}));
  await step('home', {});
  return ok && rt.world!.blocks.find((b) => b.id === block.id)?.state === 'in_bin';
}

/**
 * Rounds until `shouldStop()`: a new scene around the robot when every block is placed. Stops (saying why) as soon as
 * any MCU is not armed, e.g. after a link watchdog trip: outputs are then at their defaults and a human re-arms.
 */
export async function taskRounds(
  rt: RobotRuntime,
  sessions: Map<string, McuSession>,
  shouldStop: () => boolean,
  score: { rounds: number; placed: number },
  say: (line: string) => void,
): Promise<void> {
  // The armed state comes from telemetry: give the first frames after `arm` time to arrive.
  await new Promise((r) => setTimeout(r, 500));
  let seed = 1;
  while (!shouldStop()) {
    const down = [...sessions].filter(([, s]) => !s.stats().armed).map(([id, s]) => `${id} [${s.stats().faults.join(', ')}]`);
    if (down.length) {
      say(`task stopped: not armed: ${down.join('; ')}. Outputs are at their safe defaults; restart to re-arm.`);
      return;
    }
    if (!rt.world!.blocks.some((b) => b.state === 'free')) {
      rt.world = sceneAround(rt.world!.base, ++seed);
      say(`new scene (seed ${seed}): ${rt.world.blocks.length} blocks and a bin`);
    }
    score.rounds++;
    if (await pickNearestIntoBin(rt, say)) score.placed++;
    say(`round ${score.rounds}: ${score.placed}/${score.rounds} blocks in the bin`);
  }
}
