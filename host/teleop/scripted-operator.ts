// A scripted person at the leader device (for the emulator, where nobody can turn the pots): reaction delay, hesitation, hand tremor and visual correction, seeded; it turns the emulated pots and holds the button.
import { seededRandom } from '../world/world.ts';

/** [rad] a 270-degree pot: the knob turns +-2.36 rad about mid travel. */
export const POT_HALF_TRAVEL_RAD = (270 / 2) * (Math.PI / 180);
/** [V] the pot's supply: the wiper swings 0..5 V. */
export const POT_SUPPLY_V = 5;

/** Knob angle (the leader is a replica of the follower arm: knob angle = the joint angle it asks for) -> wiper volts. */
export function knobToVolts(rad: number): number {
  const u = 0.5 + rad / (2 * POT_HALF_TRAVEL_RAD);
  return POT_SUPPLY_V * Math.min(1, Math.max(0, u));
}

/** [rad] the furthest past the goal a person turns the knob when correcting. */
const MAX_OVERREACH_RAD = 0.2;

export interface OperatorOptions {
  seed: number;
  /** [rad] where the person wants each follower joint (e.g. the IK of a reach target they can see). */
  goal_rad: Record<string, number>;
  /** [rad] where the knobs are when the episode starts. */
  start_knob_rad: Record<string, number>;
  /** Scales every human imperfection (0: a perfect, instant operator; 1: the default expert). */
  sloppiness?: number;
  /** [rad] done when the follower (as seen, with the reaction delay) is this close to the goal on every joint. */
  tolerance_rad?: number;
}

export interface OperatorOutput {
  knob_rad: Record<string, number>;
  button: boolean;
  /** The person is satisfied and has let go: the episode is over. */
  done: boolean;
}

/**
 * One seeded episode of a person: waits (reaction 150-350 ms), presses the button, moves the knobs on a
 * smooth minimum-jerk path to where they believe the goal is (a small per-episode misjudgement), maybe
 * hesitates once mid-way, then corrects from what they see of the follower (delayed) until it is on target
 * and still for 300 ms, and lets go. Tremor rides on top throughout.
 */
export class ScriptedOperator {
  private readonly rand: () => number;
  private readonly joints: string[];
  private readonly reaction_s: number;
  private readonly move_s: number;
  private readonly hesitate: { at_s: number; for_s: number } | null;
  private readonly aim: Record<string, number> = {};
  private readonly knob: Record<string, number>;
  private readonly from: Record<string, number>;
  private readonly seen: { t_s: number; q: Record<string, number> }[] = [];
  private readonly delay_s: number;
  private tremor: Record<string, number> = {};
  private settled_s = 0;
  private nextLook_s = 0;
  private finished = false;
  private lookedAt: Record<string, number> | null = null;

  constructor(private readonly o: OperatorOptions) {
    const k = o.sloppiness ?? 1;
    this.rand = seededRandom(o.seed * 2654435761 + 7);
    const u = (lo: number, hi: number) => lo + (hi - lo) * this.rand();
    this.joints = Object.keys(o.goal_rad);
    this.reaction_s = k * u(0.15, 0.35);
    this.delay_s = k * u(0.12, 0.25);
    const dist = Math.max(...this.joints.map((j) => Math.abs(o.goal_rad[j]! - o.start_knob_rad[j]!)));
    // A person is quick on a short move and takes longer on a long one (about 1.2 rad/s on average).
    this.move_s = Math.max(0.4, dist / u(1.0, 1.4));
    this.hesitate = k > 0 && this.rand() < 0.35 ? { at_s: this.reaction_s + this.move_s * u(0.3, 0.7), for_s: k * u(0.3, 0.7) } : null;
    for (const j of this.joints) {
      this.aim[j] = o.goal_rad[j]! + k * 0.04 * (this.rand() - 0.5);
      this.tremor[j] = 0;
    }
    this.knob = { ...o.start_knob_rad };
    this.from = { ...o.start_knob_rad };
  }

  /** One step at t_s (from the episode start) given the follower's measured joints now. */
  step(t_s: number, dt_s: number, follower_rad: Record<string, number>): OperatorOutput {
    const k = this.o.sloppiness ?? 1;
    this.seen.push({ t_s, q: { ...follower_rad } });
    while (this.seen.length > 1 && this.seen[1]!.t_s <= t_s - this.delay_s) this.seen.shift();
    const seen = this.seen[0]!.q;
    if (this.finished || t_s < this.reaction_s) return { knob_rad: { ...this.knob }, button: false, done: this.finished };
    // Minimum-jerk progress through the planned move, paused while hesitating.
    let tm = t_s - this.reaction_s;
    if (this.hesitate && t_s > this.hesitate.at_s) tm -= Math.min(t_s - this.hesitate.at_s, this.hesitate.for_s);
    const s = Math.min(1, tm / this.move_s);
    const mj = s * s * s * (10 - 15 * s + 6 * s * s);
    // Visual correction once the move is over: every ~200 ms, nudge the aim by part of the error they see.
    // A person waits for the arm to come to rest before correcting (no wind-up while it is still catching up), and
    // never turns the knob far past where the goal is.
    if (s >= 1 && t_s >= this.nextLook_s) {
      const still = this.lookedAt !== null && this.joints.every((j) => Math.abs(seen[j]! - this.lookedAt![j]!) < 0.005);
      if (still)
        for (const j of this.joints) {
          const g = this.o.goal_rad[j]!;
          this.aim[j] = Math.min(g + MAX_OVERREACH_RAD, Math.max(g - MAX_OVERREACH_RAD, this.aim[j]! + 0.5 * (g - seen[j]!)));
        }
      this.lookedAt = { ...seen };
      this.nextLook_s = t_s + 0.2;
    }
    for (const j of this.joints) {
      // Tremor: low-pass filtered noise, ~3 mrad.
      this.tremor[j] = 0.9 * this.tremor[j]! + 0.1 * k * 0.01 * (this.rand() - 0.5) * 2;
      this.knob[j] = this.from[j]! + (this.aim[j]! - this.from[j]!) * mj + this.tremor[j]!;
    }
    const tol = this.o.tolerance_rad ?? 0.01;
    const onTarget = s >= 1 && this.joints.every((j) => Math.abs(this.o.goal_rad[j]! - seen[j]!) < tol);
    this.settled_s = onTarget ? this.settled_s + dt_s : 0;
    if (this.settled_s >= 0.3) this.finished = true;
    return { knob_rad: { ...this.knob }, button: !this.finished, done: this.finished };
  }
}

/** The emulated leader node's plant inputs (WorkerNode and EmulatedNode both have these). */
export interface LeaderPlant {
  setPot(which: string | number, volts: number): unknown;
  pressButton(name: string): unknown;
  releaseButton(name: string): unknown;
}

/** Applies one operator output to the emulated leader: knob angles to wiper volts, the button edge to a press or release. */
export async function applyToLeader(plant: LeaderPlant, pots: Record<string, string | number>, button: string, out: OperatorOutput, wasPressed: boolean): Promise<boolean> {
  await Promise.all(Object.entries(pots).map(([joint, pot]) => plant.setPot(pot, knobToVolts(out.knob_rad[joint]!))));
  if (out.button !== wasPressed) await (out.button ? plant.pressButton(button) : plant.releaseButton(button));
  return out.button;
}

/**
 * The calibration sweep done by the scripted person: each knob turned end to end over joint_range_rad in `steps`,
 * the ADC counts the firmware reports (read back through `counts()`) collected per joint for calibrationFromSweep.
 */
export async function scriptedSweep(plant: LeaderPlant, pots: Record<string, string | number>, counts: () => readonly number[], analog: Record<string, number>, joint_range_rad: [number, number], steps = 20, settle_ms = 40): Promise<Record<string, number[]>> {
  const seen: Record<string, number[]> = Object.fromEntries(Object.keys(pots).map((j) => [j, []]));
  for (let k = 0; k <= steps; k++) {
    const rad = joint_range_rad[0] + ((joint_range_rad[1] - joint_range_rad[0]) * k) / steps;
    await Promise.all(Object.values(pots).map((p) => plant.setPot(p, knobToVolts(rad))));
    await new Promise((r) => setTimeout(r, settle_ms));
    const c = counts();
    for (const j of Object.keys(pots)) seen[j]!.push(c[analog[j]!]!);
  }
  return seen;
}
