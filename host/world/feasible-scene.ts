// Scenes a task can finish: every block and the bin inside the base workspace (less the skills' margin), else another draw.
import type { Pose2 } from '../skills/arm.ts';
import { inWorkspace } from '../skills/builtin/common.ts';
import type { RobotGeometry } from '../skills/geometry.ts';
import { referenceGeometry } from '../skills/reference-robot.ts';
import type { World } from './world.ts';
import { sceneAround } from './scene-around.ts';

/**
 * Why a task in this world cannot finish from where the robot is, or null when it can. drive_to stops on the segment
 * from the base to its target, so with the base and every object inside the (convex) workspace box less the margin
 * that drive_to's affordance asks for, every stop on the way is inside it too.
 */
export function infeasibility(w: World, g: RobotGeometry = referenceGeometry()): string | null {
  const points = [
    { what: 'the robot', p: w.base },
    ...w.blocks.filter((b) => b.state === 'free').map((b) => ({ what: `block ${b.id}`, p: b })),
    { what: 'the bin', p: w.bin },
  ];
  for (const { what, p } of points) {
    const a = inWorkspace(g, p);
    if (a.value === 0) return `${what}: ${a.reason}`;
  }
  return null;
}

export interface DrawnScene {
  world: World;
  /** The seed of the scene kept. */
  seed: number;
  /** [rad] how far it was turned about the robot from the plain re-expression (sceneAround). */
  turn_rad: number;
  /** Draws (seed, turn) tried and dropped before it, with why. */
  dropped: { seed: number; turn_rad: number; reason: string }[];
}

/** Turns tried per seed: the scene's heading relative to the robot is random anyway, and near a wall most turns are not. */
const TURNS = 12;

/**
 * The first scene from `seed` on that is feasible around `pose` (each seed turned about the robot in TURNS steps before the
 * next seed is drawn); throws after `max_draws` seeds (a pose with no room at all).
 */
export function feasibleSceneAround(pose: Pose2, seed: number, g: RobotGeometry = referenceGeometry(), max_draws = 200): DrawnScene {
  const dropped: DrawnScene['dropped'] = [];
  for (let s = seed; s < seed + max_draws; s++) {
    for (let k = 0; k < TURNS; k++) {
      const turn_rad = (2 * Math.PI * k) / TURNS;
      const turned = sceneAround({ ...pose, heading_rad: pose.heading_rad + turn_rad }, s);
      const world: World = { ...turned, base: { ...pose } };
      const reason = infeasibility(world, g);
      if (reason === null) return { world, seed: s, turn_rad, dropped };
      dropped.push({ seed: s, turn_rad, reason });
    }
  }
  throw new Error(`no feasible scene around (${pose.x_m.toFixed(2)}, ${pose.y_m.toFixed(2)}) m in ${max_draws} draws from seed ${seed}: ${dropped.at(-1)?.reason}; drive the robot back toward the middle of its workspace`);
}
