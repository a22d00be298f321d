// A random tabletop scene re-expressed around a robot pose: where the next demo round starts (`ganglion run`, the emulated robot).
import type { Pose2 } from '../skills/arm.ts';
import { createWorld, randomScene, type Scene, type World } from './world.ts';

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
