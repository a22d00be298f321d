// Planar 2-link arm kinematics and base/world frame changes, used by skills to turn world targets into joint targets.
import type { RobotGeometry } from './geometry.ts';

export interface Pose2 {
  x_m: number;
  y_m: number;
  heading_rad: number;
}

export interface Point2 {
  x_m: number;
  y_m: number;
}

/** Angle in (-pi, pi]. */
export function wrapAngle(a_rad: number): number {
  const w = Math.atan2(Math.sin(a_rad), Math.cos(a_rad));
  return w === -Math.PI ? Math.PI : w;
}

export function worldToBase(base: Pose2, p: Point2): Point2 {
  const dx = p.x_m - base.x_m;
  const dy = p.y_m - base.y_m;
  const c = Math.cos(base.heading_rad);
  const s = Math.sin(base.heading_rad);
  return { x_m: c * dx + s * dy, y_m: -s * dx + c * dy };
}

export function baseToWorld(base: Pose2, p: Point2): Point2 {
  const c = Math.cos(base.heading_rad);
  const s = Math.sin(base.heading_rad);
  return { x_m: base.x_m + c * p.x_m - s * p.y_m, y_m: base.y_m + s * p.x_m + c * p.y_m };
}

/** Gripper tip in the base frame. Shoulder 0 points along the base's heading; angles are counter-clockwise. */
export function forwardArm(g: RobotGeometry, shoulder_rad: number, elbow_rad: number): Point2 {
  const a = shoulder_rad + elbow_rad;
  return {
    x_m: g.arm_mount_x_m + g.arm_l1_m * Math.cos(shoulder_rad) + g.arm_l2_m * Math.cos(a),
    y_m: g.arm_mount_y_m + g.arm_l1_m * Math.sin(shoulder_rad) + g.arm_l2_m * Math.sin(a),
  };
}

export function tipInWorld(g: RobotGeometry, base: Pose2, shoulder_rad: number, elbow_rad: number): Point2 {
  return baseToWorld(base, forwardArm(g, shoulder_rad, elbow_rad));
}

export type IkResult = { ok: true; shoulder_rad: number; elbow_rad: number } | { ok: false; reason: string };

/** The distances from the shoulder the arm can reach within its elbow limits: [min, max]. */
export function reachRange_m(g: RobotGeometry): [number, number] {
  const { arm_l1_m: l1, arm_l2_m: l2 } = g;
  // The reach grows as |elbow| shrinks; the smallest |elbow| allowed sets the max, the largest the min.
  const eMaxAbs = Math.max(Math.abs(g.elbow_min_rad), Math.abs(g.elbow_max_rad));
  const eMinAbs = g.elbow_min_rad <= 0 && g.elbow_max_rad >= 0 ? 0 : Math.min(Math.abs(g.elbow_min_rad), Math.abs(g.elbow_max_rad));
  const r = (e: number) => Math.sqrt(l1 * l1 + l2 * l2 + 2 * l1 * l2 * Math.cos(Math.min(Math.PI, e)));
  return [r(eMaxAbs), r(eMinAbs)];
}

// 1e-7 rad of slack: at full stretch the elbow angle is lost to rounding (d depends on it only to second order), and the
// shoulder then lands up to ~2e-8 rad past the limit for a target that really is reachable. The envelope clamps anyway.
const within = (v: number, lo: number, hi: number) => v >= lo - 1e-7 && v <= hi + 1e-7;

/**
 * Joint angles that put the tip at p (base frame). Of the two elbow solutions inside the joint limits,
 * the one nearer `near` is chosen, so a moving target does not flip the elbow. The reason says why not.
 */
export function inverseArm(g: RobotGeometry, p: Point2, near?: { shoulder_rad: number; elbow_rad: number }): IkResult {
  const { arm_l1_m: l1, arm_l2_m: l2 } = g;
  const dx = p.x_m - g.arm_mount_x_m;
  const dy = p.y_m - g.arm_mount_y_m;
  const d = Math.hypot(dx, dy);
  const [rMin, rMax] = reachRange_m(g);
  if (d > rMax + 1e-9) return { ok: false, reason: `target is ${d.toFixed(3)} m from the shoulder; the arm reaches at most ${rMax.toFixed(3)} m` };
  if (d < rMin - 1e-9) return { ok: false, reason: `target is ${d.toFixed(3)} m from the shoulder; the elbow limits keep the tip at least ${rMin.toFixed(3)} m away` };
  const c2 = Math.max(-1, Math.min(1, (d * d - l1 * l1 - l2 * l2) / (2 * l1 * l2)));
  const candidates: { shoulder_rad: number; elbow_rad: number }[] = [];
  for (const sign of [1, -1]) {
    const e = sign * Math.acos(c2);
    const s = Math.atan2(dy, dx) - Math.atan2(l2 * Math.sin(e), l1 + l2 * Math.cos(e));
    const sw = wrapAngle(s);
    if (within(sw, g.shoulder_min_rad, g.shoulder_max_rad) && within(e, g.elbow_min_rad, g.elbow_max_rad)) candidates.push({ shoulder_rad: sw, elbow_rad: e });
  }
  if (candidates.length === 0) {
    const bearing = Math.atan2(dy, dx);
    return { ok: false, reason: `target bearing ${bearing.toFixed(2)} rad from the base's heading is outside the shoulder's range [${g.shoulder_min_rad}, ${g.shoulder_max_rad}] rad` };
  }
  const ref = near ?? { shoulder_rad: 0, elbow_rad: 0 };
  const cost = (c: { shoulder_rad: number; elbow_rad: number }) => Math.abs(c.shoulder_rad - ref.shoulder_rad) + Math.abs(c.elbow_rad - ref.elbow_rad);
  candidates.sort((a, b) => cost(a) - cost(b));
  return { ok: true, ...candidates[0]! };
}

/**
 * A seeded reach target the arm can reach from `base` (world frame): a point on the reach ring, `margin_m` inside its
 * edges (where IK and a done tolerance do not fight the ring's edge), at a bearing within +-max_bearing_rad of the
 * base's heading. Draws two numbers per try from `rand`; null when 1000 tries found none.
 */
export function randomReachPoint(g: RobotGeometry, base: Pose2, rand: () => number, margin_m = 0.004, max_bearing_rad = 2): Point2 | null {
  const [rMin, rMax] = reachRange_m(g);
  for (let i = 0; i < 1000; i++) {
    const r = rMin + margin_m + (rMax - rMin - 2 * margin_m) * rand();
    const bearing = -max_bearing_rad + 2 * max_bearing_rad * rand();
    const local = { x_m: g.arm_mount_x_m + r * Math.cos(bearing), y_m: g.arm_mount_y_m + r * Math.sin(bearing) };
    if (inverseArm(g, local).ok) return baseToWorld(base, local);
  }
  return null;
}
