// Follows a reach target as perception sees it, frame by frame: the perceived object nearest the point, averaged over frames.

import type { Point2 } from './arm.ts';
import type { PerceivedObject } from './observation.ts';

/**
 * [m] An object counts as the target when its perceived centre is this close to the estimate. Wide enough for a
 * camera's frame-to-frame scatter (a few mm), narrow enough that a neighbouring block (scenes keep them >= 0.3 m
 * apart) is never taken for it.
 */
export const TRACK_GATE_M = 0.03;

/**
 * Frames in the running mean before it turns into a moving average: 20 frames (1 s at 20 Hz) cut a static target's
 * per-frame scatter by sqrt(20) = 4.5x, and an object that is moved is followed with a time constant of 20 frames.
 */
export const TRACK_FRAMES = 20;

export interface TargetTrack {
  /** Where the target is, best estimate so far (world frame). */
  estimate: Point2;
  /** Frames averaged into the estimate, the point given counting as the first. */
  frames: number;
  /** The perceived object last averaged in: perception hands over new objects each frame, so a new one is a new frame. */
  last: PerceivedObject | null;
}

export const startTrack = (p: Point2): TargetTrack => ({ estimate: { x_m: p.x_m, y_m: p.y_m }, frames: 1, last: null });

/**
 * Folds this tick's perception into the track and returns the estimate. With no object inside the gate (an empty
 * point on the table, or the object hidden) the estimate stays where it was: a skill given a bare point reaches it.
 */
export function updateTrack(t: TargetTrack, objects: readonly PerceivedObject[]): Point2 {
  let seen: PerceivedObject | null = null;
  let best = TRACK_GATE_M;
  for (const o of objects) {
    if (o.kind === 'bin') continue;
    const d = Math.hypot(o.x_m - t.estimate.x_m, o.y_m - t.estimate.y_m);
    if (d <= best) {
      best = d;
      seen = o;
    }
  }
  if (seen === null || seen === t.last) return t.estimate;
  t.last = seen;
  t.frames = Math.min(TRACK_FRAMES, t.frames + 1);
  t.estimate.x_m += (seen.x_m - t.estimate.x_m) / t.frames;
  t.estimate.y_m += (seen.y_m - t.estimate.y_m) / t.frames;
  return t.estimate;
}
