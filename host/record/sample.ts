// One recorded control tick (what the robot saw, what went out, who had control) and the check that refuses a sample with a non-finite number.
import type { PerceivedObject } from '../skills/observation.ts';

/** Who had control of the robot at a tick. Teleop during a skill or policy run is an intervention. */
export const CONTROL_SOURCES = ['idle', 'policy', 'skill', 'teleop', 'estop'] as const;
export type ControlSource = (typeof CONTROL_SOURCES)[number];

export interface Sample {
  /** [ns] wall clock when the observation was taken (not the nominal tick time: a slow loop shows as gaps). */
  taken_ns: bigint;
  /** Joint readings in the session's joint order. */
  position_rad: readonly number[];
  velocity_radps: readonly number[];
  base: { x_m: number; y_m: number; heading_rad: number };
  /** World objects as perceived (with perception noise, as the skills saw them). */
  objects: readonly PerceivedObject[];
  held_id: string | null;
  /** What the safety envelope let through, per joint (rad for position joints, rad/s for velocity joints). */
  action: readonly number[];
  /** The raw teleop command before the envelope, when a teleoperator was driving. */
  teleop: { operator: string; position_rad?: Record<string, number>; velocity_radps?: Record<string, number> } | null;
  skill: { name: string; args: unknown } | null;
  control: ControlSource;
  /**
   * The episode's goal as the demonstrator was given it (world frame, m): the point a reach demonstration goes to.
   * A policy conditioned on it learns target-conditioned reaching. Absent: the episode has no goal.
   */
  goal?: { x_m: number; y_m: number } | null;
}

/** A sample the recorder refused, with the field at fault: the recording goes on without it. */
export class SampleError extends Error {}

function finiteList(field: string, xs: readonly number[], names: readonly string[], n: number): void {
  if (xs.length !== n) throw new SampleError(`${field} has ${xs.length} values for ${n} joints (${names.join(', ')})`);
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) throw new SampleError(`${field}[${i}] (${names[i]}) is ${xs[i]}, not a finite number`);
  }
}

function finiteRecord(field: string, r: Record<string, number> | undefined): void {
  for (const [k, v] of Object.entries(r ?? {})) if (!Number.isFinite(v)) throw new SampleError(`${field}.${k} is ${v}, not a finite number`);
}

/**
 * Throws SampleError naming the first bad field. Hand-written rather than zod: it runs on every tick at up to 1 kHz,
 * on data the runtime made (the trust boundaries before it already parsed with zod).
 */
export function checkSample(s: Sample, joints: readonly string[]): void {
  const n = joints.length;
  finiteList('observation.position_rad', s.position_rad, joints, n);
  finiteList('observation.velocity_radps', s.velocity_radps, joints, n);
  finiteList('action', s.action, joints, n);
  for (const k of ['x_m', 'y_m', 'heading_rad'] as const) {
    if (!Number.isFinite(s.base[k])) throw new SampleError(`observation.base.${k} is ${s.base[k]}, not a finite number`);
  }
  for (const o of s.objects) {
    if (!Number.isFinite(o.x_m) || !Number.isFinite(o.y_m)) throw new SampleError(`observation.objects "${o.id}" has a non-finite position`);
  }
  if (s.goal && !(Number.isFinite(s.goal.x_m) && Number.isFinite(s.goal.y_m))) throw new SampleError(`observation.goal (${s.goal.x_m}, ${s.goal.y_m}) is not a finite point`);
  if (s.teleop) {
    finiteRecord('teleop.position_rad', s.teleop.position_rad);
    finiteRecord('teleop.velocity_radps', s.teleop.velocity_radps);
  }
}
