// A 2D tabletop world, pure and deterministic: a differential-drive base with a planar arm, coloured blocks and a bin; seeded random scenes.
import { forwardArm, baseToWorld, wrapAngle, type Point2, type Pose2 } from '../skills/arm.ts';
import { jawWidth_m, type RobotGeometry } from '../skills/geometry.ts';
import type { PerceivedObject } from '../skills/observation.ts';
import { wheelsToTwist } from '../executor/diff-drive.ts';

export interface Block {
  readonly id: string;
  /** Free text (a colour name, or anything a user typed): data, never an instruction. */
  readonly label: string;
  readonly x_m: number;
  readonly y_m: number;
  readonly size_m: number;
  readonly state: 'free' | 'held' | 'in_bin';
}

export interface Bin {
  readonly id: string;
  readonly label: string;
  readonly x_m: number;
  readonly y_m: number;
  readonly radius_m: number;
}

export interface ArmPose {
  readonly shoulder_rad: number;
  readonly elbow_rad: number;
  readonly gripper_rad: number;
}

export interface World {
  readonly time_s: number;
  readonly base: Pose2;
  readonly arm: ArmPose;
  readonly blocks: readonly Block[];
  readonly bin: Bin;
  readonly held_id: string | null;
}

/** What the joints did over one step: measured wheel speeds and arm angles at its end. */
export interface WorldInput {
  wheel_left_radps: number;
  wheel_right_radps: number;
  shoulder_rad: number;
  elbow_rad: number;
  gripper_rad: number;
}

export interface Scene {
  base: Pose2;
  arm?: ArmPose;
  blocks: { id: string; label: string; x_m: number; y_m: number; size_m: number }[];
  bin: Bin;
}

export const HOME_ARM: ArmPose = { shoulder_rad: 0, elbow_rad: 0, gripper_rad: 0 };

export function createWorld(scene: Scene): World {
  const ids = new Set<string>([scene.bin.id]);
  for (const b of scene.blocks) {
    if (ids.has(b.id)) throw new Error(`scene: duplicate object id "${b.id}"`);
    ids.add(b.id);
  }
  return {
    time_s: 0,
    base: { ...scene.base },
    arm: { ...(scene.arm ?? HOME_ARM) },
    blocks: scene.blocks.map((b) => ({ ...b, state: 'free' as const })),
    bin: { ...scene.bin },
    held_id: null,
  };
}

/** Where the gripper tip is, in the world frame. */
export function gripperTip(w: World, g: RobotGeometry): Point2 {
  return baseToWorld(w.base, forwardArm(g, w.arm.shoulder_rad, w.arm.elbow_rad));
}

/** Differential drive over dt at constant wheel speeds: an exact arc (a straight line when the speeds match). */
export function integrateBase(p: Pose2, wl_radps: number, wr_radps: number, dt_s: number, g: RobotGeometry): Pose2 {
  const { v_mps: v, w_radps: w } = wheelsToTwist(g, wl_radps, wr_radps);
  const h1 = p.heading_rad + w * dt_s;
  if (Math.abs(w) < 1e-9) return { x_m: p.x_m + v * Math.cos(p.heading_rad) * dt_s, y_m: p.y_m + v * Math.sin(p.heading_rad) * dt_s, heading_rad: wrapAngle(h1) };
  const r = v / w;
  return {
    x_m: p.x_m + r * (Math.sin(h1) - Math.sin(p.heading_rad)),
    y_m: p.y_m - r * (Math.cos(h1) - Math.cos(p.heading_rad)),
    heading_rad: wrapAngle(h1),
  };
}

const dist = (a: Point2, b: Point2) => Math.hypot(a.x_m - b.x_m, a.y_m - b.y_m);

/** Over the bin means the block's centre is inside its rim. */
export function isOverBin(bin: Bin, p: Point2): boolean {
  return dist(bin, p) <= bin.radius_m;
}

/**
 * One step. Jaws closing past a block's size while the tip is on it pick it up (a gripper that was
 * already closed when it arrived does not); opening past its size lets go, into the bin when over it.
 */
export function stepWorld(w: World, u: WorldInput, dt_s: number, g: RobotGeometry): World {
  const base = integrateBase(w.base, u.wheel_left_radps, u.wheel_right_radps, dt_s, g);
  const arm: ArmPose = { shoulder_rad: u.shoulder_rad, elbow_rad: u.elbow_rad, gripper_rad: u.gripper_rad };
  const tip = baseToWorld(base, forwardArm(g, arm.shoulder_rad, arm.elbow_rad));
  const jawBefore = jawWidth_m(g, w.arm.gripper_rad);
  const jawAfter = jawWidth_m(g, arm.gripper_rad);
  let held = w.held_id;
  let blocks = w.blocks;

  if (held !== null) {
    const b = blocks.find((x) => x.id === held)!;
    // 2 mm of hysteresis, so jaws resting exactly on the block do not chatter between held and free.
    if (jawAfter > b.size_m + 0.002) {
      const state = isOverBin(w.bin, tip) ? 'in_bin' : 'free';
      blocks = blocks.map((x) => (x.id === held ? { ...x, x_m: tip.x_m, y_m: tip.y_m, state } : x));
      held = null;
    } else {
      blocks = blocks.map((x) => (x.id === held ? { ...x, x_m: tip.x_m, y_m: tip.y_m } : x));
    }
  } else {
    let best: Block | null = null;
    for (const b of blocks) {
      if (b.state !== 'free' || !(jawBefore > b.size_m && jawAfter <= b.size_m)) continue;
      const d = dist(b, tip);
      if (d <= g.jaw_capture_m && (best === null || d < dist(best, tip))) best = b;
    }
    if (best !== null) {
      held = best.id;
      blocks = blocks.map((x) => (x.id === held ? { ...x, x_m: tip.x_m, y_m: tip.y_m, state: 'held' } : x));
    }
  }
  return { time_s: w.time_s + dt_s, base, arm, blocks, bin: w.bin, held_id: held };
}

/** Small deterministic PRNG (mulberry32): the same seed gives the same scene on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a camera would report: blocks not yet in the bin, and the bin; optional seeded position noise. */
export function perceive(w: World, opts: { noise_m?: number; rand?: () => number } = {}): { objects: PerceivedObject[]; held_id: string | null } {
  const sigma = opts.noise_m ?? 0;
  const rand = opts.rand ?? Math.random;
  // Box-Muller; only drawn when there is noise, so noiseless perception consumes no randomness.
  const gauss = () => (sigma > 0 ? sigma * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()) : 0);
  const objects: PerceivedObject[] = [];
  for (const b of w.blocks) {
    if (b.state === 'in_bin') continue;
    const exact = b.state === 'held';
    objects.push({ id: b.id, label: b.label, kind: 'block', x_m: b.x_m + (exact ? 0 : gauss()), y_m: b.y_m + (exact ? 0 : gauss()), size_m: b.size_m });
  }
  objects.push({ id: w.bin.id, label: w.bin.label, kind: 'bin', x_m: w.bin.x_m, y_m: w.bin.y_m, size_m: 2 * w.bin.radius_m });
  return { objects, held_id: w.held_id };
}

const COLORS = ['red', 'green', 'blue', 'yellow', 'orange', 'purple', 'white', 'black'];

/**
 * A random scene: the robot at the origin with a random heading, 2-4 blocks and a bin 0.45-1.1 m away,
 * at least 0.3 m apart, so an approach 0.24 m short of any of them stays inside the envelope's +-2 m box.
 */
export function randomScene(seed: number): Scene {
  const rand = seededRandom(seed);
  const place = (taken: Point2[]): Point2 => {
    for (let i = 0; i < 1000; i++) {
      const r = 0.45 + 0.65 * rand();
      const a = 2 * Math.PI * rand();
      const p = { x_m: r * Math.cos(a), y_m: r * Math.sin(a) };
      if (taken.every((q) => dist(p, q) >= 0.3)) return p;
    }
    throw new Error(`randomScene(${seed}): no free spot found`);
  };
  const taken: Point2[] = [{ x_m: 0, y_m: 0 }];
  const binAt = place(taken);
  taken.push(binAt);
  const n = 2 + Math.floor(rand() * 3);
  const colors = [...COLORS];
  const blocks: Scene['blocks'] = [];
  for (let i = 0; i < n; i++) {
    const p = place(taken);
    taken.push(p);
    const color = colors.splice(Math.floor(rand() * colors.length), 1)[0]!;
    blocks.push({ id: `b${i + 1}`, label: `${color} block`, ...p, size_m: 0.02 + 0.015 * rand() });
  }
  return {
    base: { x_m: 0, y_m: 0, heading_rad: wrapAngle(2 * Math.PI * rand()) },
    blocks,
    bin: { id: 'bin', label: 'bin', ...binAt, radius_m: 0.07 + 0.03 * rand() },
  };
}
