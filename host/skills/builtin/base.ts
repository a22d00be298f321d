// Base skills on the differential drive: move_base (straight, optional heading first), turn (in place), drive_to (pose controller to a point).
import { z } from 'zod';
import { wrapAngle, type Point2 } from '../arm.ts';
import { defineSkill, type SkillContext } from '../contract.ts';
import { BASE_SPEED_MPS, baseSettled, inWorkspace, ProgressWatch, sat, shifted, TURN_RATE_RADPS, wheelAction } from './common.ts';

/** Proportional gains: [1/s]. With the envelope's 2.1 m/s^2 ramp they stop within ~1 cm without overshoot. */
const K_DIST = 2;
const K_HEADING = 3;
const DIST_TOL_M = 0.01;
const HEADING_TOL_RAD = 0.02;
/** A standoff approach ends facing the target within this. */
const FACING_TOL_RAD = 0.05;

/** Turn-in-place command toward a heading; returns the remaining error. */
function turnToward(heading_rad: number, ctx: SkillContext) {
  const err = wrapAngle(heading_rad - ctx.obs.base.heading_rad);
  return { err, action: wheelAction(ctx.geometry, 0, sat(K_HEADING * err, TURN_RATE_RADPS * ctx.tuning.speed_scale)) };
}

const dist = (a: Point2, b: Point2) => Math.hypot(a.x_m - b.x_m, a.y_m - b.y_m);

export const turn = defineSkill({
  name: 'turn',
  description: 'Turn the mobile base in place by angle_rad (positive = counter-clockwise, to the left). Use to face something.',
  args: z.strictObject({ angle_rad: z.number().min(-2 * Math.PI).max(2 * Math.PI).describe('[rad] relative turn, + = left') }),
  preconditions: [],
  affordance: () => ({ value: 1 }),
  timeout_s: (a) => (2 * Math.abs(a.angle_rad)) / TURN_RATE_RADPS + 5,
  start: (a, ctx) => ({ target_rad: ctx.obs.base.heading_rad + a.angle_rad, err: Infinity, watch: new ProgressWatch(0.01) }),
  step(_s, p, ctx) {
    const t = turnToward(p.target_rad, ctx);
    p.err = Math.abs(t.err);
    p.watch.update(p.err, ctx.elapsed_s);
    return t.action;
  },
  done: (p, ctx) => p.err < HEADING_TOL_RAD && baseSettled(ctx.geometry, ctx.obs),
  progress: (p) => p.watch.fraction(),
  failed: (p, ctx) => (p.watch.stuck(ctx.elapsed_s) ? `turn made no progress for 3 s (${p.err.toFixed(3)} rad left)` : null),
});

interface MoveParams {
  distance_m: number;
  heading_rad: number;
  phase: 'turn' | 'drive';
  goal: Point2 | null;
  err: number;
  watch: ProgressWatch;
}

export const move_base = defineSkill({
  name: 'move_base',
  description:
    'Drive the mobile base straight by distance_m (negative = backwards). If heading_rad is given, first turn in place to that absolute heading (world frame, 0 = +x).',
  args: z.strictObject({
    distance_m: z.number().min(-2).max(2).describe('[m] signed straight-line distance'),
    heading_rad: z.number().min(-Math.PI).max(Math.PI).optional().describe('[rad] absolute heading to face before driving'),
  }),
  preconditions: [],
  affordance(obs, a, g) {
    const h = a.heading_rad ?? obs.base.heading_rad;
    return inWorkspace(g, { x_m: obs.base.x_m + a.distance_m * Math.cos(h), y_m: obs.base.y_m + a.distance_m * Math.sin(h) });
  },
  timeout_s: (a) => (2 * Math.abs(a.distance_m)) / BASE_SPEED_MPS + (a.heading_rad === undefined ? 0 : (2 * Math.PI) / TURN_RATE_RADPS) + 5,
  start: (a, ctx): MoveParams => ({
    distance_m: a.distance_m,
    heading_rad: a.heading_rad ?? ctx.obs.base.heading_rad,
    phase: a.heading_rad === undefined ? 'drive' : 'turn',
    goal: null,
    err: Infinity,
    watch: new ProgressWatch(0.005),
  }),
  step(_s, p, ctx) {
    const b = ctx.obs.base;
    if (p.phase === 'turn') {
      const t = turnToward(p.heading_rad, ctx);
      p.watch.update(Math.abs(t.err), ctx.elapsed_s);
      if (Math.abs(t.err) >= HEADING_TOL_RAD || !baseSettled(ctx.geometry, ctx.obs)) return t.action;
      p.phase = 'drive';
      p.watch = new ProgressWatch(0.005);
    }
    if (!p.goal) p.goal = { x_m: b.x_m + p.distance_m * Math.cos(p.heading_rad), y_m: b.y_m + p.distance_m * Math.sin(p.heading_rad) };
    const goal = shifted(p.goal, ctx);
    // Along-track error only: a sideways nudge cannot be driven straight, so only its forward part counts.
    const c = Math.cos(p.heading_rad);
    const s = Math.sin(p.heading_rad);
    const along = (goal.x_m - b.x_m) * c + (goal.y_m - b.y_m) * s;
    p.err = Math.abs(along);
    p.watch.update(p.err, ctx.elapsed_s);
    const v = sat(K_DIST * along, BASE_SPEED_MPS * ctx.tuning.speed_scale);
    return wheelAction(ctx.geometry, v, sat(K_HEADING * wrapAngle(p.heading_rad - b.heading_rad), TURN_RATE_RADPS));
  },
  done: (p, ctx) => p.phase === 'drive' && p.err < DIST_TOL_M / 2 && baseSettled(ctx.geometry, ctx.obs),
  // Of the current phase (turning to the heading, then driving).
  progress: (p) => p.watch.fraction(),
  failed: (p, ctx) => (p.watch.stuck(ctx.elapsed_s) ? `move_base made no progress for 3 s (${p.err.toFixed(3)} m left); is the workspace edge in the way?` : null),
});

interface DriveParams {
  target: Point2;
  standoff_m: number;
  err: number;
  /** |bearing of the target off the nose|. */
  alpha: number;
  watch: ProgressWatch;
}

/** Where drive_to will stop: standoff_m short of the target on the line from the base. */
export function driveStop(base: Point2, target: Point2, standoff_m: number): Point2 {
  const d = dist(base, target);
  if (d <= standoff_m || d === 0) return { ...base };
  const k = (d - standoff_m) / d;
  return { x_m: base.x_m + k * (target.x_m - base.x_m), y_m: base.y_m + k * (target.y_m - base.y_m) };
}

export const drive_to = defineSkill({
  name: 'drive_to',
  description:
    'Drive the base to the world point (x_m, y_m), ending facing it. With standoff_m, stop that far short of the point (e.g. 0.24 m puts an object in front of the arm).',
  args: z.strictObject({
    x_m: z.number().min(-10).max(10).describe('[m] world x'),
    y_m: z.number().min(-10).max(10).describe('[m] world y'),
    standoff_m: z.number().min(0).max(1).default(0).describe('[m] stop this far short of the point'),
  }),
  preconditions: [],
  affordance: (obs, a, g) => inWorkspace(g, driveStop(obs.base, { x_m: a.x_m, y_m: a.y_m }, a.standoff_m)),
  timeout_s: (a, obs) => (2 * dist(obs.base, { x_m: a.x_m, y_m: a.y_m })) / BASE_SPEED_MPS + (2 * Math.PI) / TURN_RATE_RADPS + 5,
  start: (a): DriveParams => ({ target: { x_m: a.x_m, y_m: a.y_m }, standoff_m: a.standoff_m, err: Infinity, alpha: Infinity, watch: new ProgressWatch(0.005) }),
  step(_s, p, ctx) {
    const b = ctx.obs.base;
    const goal = shifted(p.target, ctx);
    const d = dist(b, goal);
    const rho = d - p.standoff_m;
    p.err = Math.abs(rho);
    const alpha = wrapAngle(Math.atan2(goal.y_m - b.y_m, goal.x_m - b.x_m) - b.heading_rad);
    // Turning toward the goal is progress too (0.2 m per rad), or a long turn in place would look stuck.
    p.watch.update(p.err + 0.2 * Math.abs(alpha), ctx.elapsed_s);
    p.alpha = Math.abs(alpha);
    // At the stopping point a standoff approach must also face the target (the arm works ahead).
    if (p.err < DIST_TOL_M) return wheelAction(ctx.geometry, 0, p.standoff_m > 0 ? sat(K_HEADING * alpha, TURN_RATE_RADPS * ctx.tuning.speed_scale) : 0);
    // Near a point goal the bearing swings wildly: stop steering and creep along the current line.
    if (p.standoff_m === 0 && d < 0.03) return wheelAction(ctx.geometry, sat(K_DIST * rho * Math.cos(alpha), BASE_SPEED_MPS), 0);
    const w = sat(K_HEADING * alpha, TURN_RATE_RADPS * ctx.tuning.speed_scale);
    // Turn in place first when the target is well off the nose; otherwise drive and steer together.
    const v = Math.abs(alpha) > 0.6 ? 0 : sat(K_DIST * rho, BASE_SPEED_MPS * ctx.tuning.speed_scale) * Math.cos(alpha);
    return wheelAction(ctx.geometry, v, w);
  },
  done: (p, ctx) => p.err < DIST_TOL_M && (p.standoff_m === 0 || p.alpha < FACING_TOL_RAD) && baseSettled(ctx.geometry, ctx.obs),
  progress: (p) => p.watch.fraction(),
  failed: (p, ctx) => (p.watch.stuck(ctx.elapsed_s) ? `drive_to made no progress for 3 s (${p.err.toFixed(3)} m left); is the workspace edge in the way?` : null),
});
