// The skill contract: what a skill declares (name, description, zod args, preconditions, affordance, timeout) and how it runs (start, step, done, failed, cancel).
import type { z } from 'zod';
import type { Action, StateSnapshot } from '../executor/contract.ts';
import type { RobotGeometry } from './geometry.ts';
import type { Observation } from './observation.ts';

/** SayCan-style: how likely the skill is to succeed from here, in [0, 1]; a reason whenever it is 0. */
export interface Affordance {
  value: number;
  reason?: string;
}

export interface Precondition<A> {
  /** Read by the planner and shown when the precondition fails ("nothing is held"). */
  text: string;
  holds(obs: Observation, args: A): boolean;
}

/**
 * Language corrections folded into numbers a skill reads at its next step. Nudges are in the world
 * frame (the runner rotates base-frame ones with the heading at the moment they arrive).
 */
export interface Tuning {
  /** Multiplies the skill's nominal speeds; the envelope still caps the result. */
  speed_scale: number;
  /** Shift of the skill's target (or of the arm tip, for skills without a target). */
  offset_x_m: number;
  offset_y_m: number;
  /** An operator's explicit gripper command overrides the skill's gripper output. */
  gripper: 'open' | 'close' | null;
  /** Counts applied corrections, so a skill can tell that something changed. */
  generation: number;
}

export interface SkillContext {
  readonly period_s: number;
  /** Simulated/loop time since the skill started: ticks x period, never the wall clock. */
  readonly elapsed_s: number;
  /** Latest observation; base and joints are refreshed from the state snapshot every tick. */
  readonly obs: Observation;
  readonly geometry: RobotGeometry;
  readonly tuning: Readonly<Tuning>;
}

/**
 * A skill. `start` turns validated args into the run's params (its mutable working state); `step` is
 * called once per control tick and must not block. `done`/`failed` are checked after each step.
 */
export interface Skill<A = unknown, P = unknown> {
  readonly name: string;
  /** What the planner LLM reads: what the skill does, when to use it, its units. */
  readonly description: string;
  readonly args: z.ZodType<A>;
  readonly preconditions: readonly Precondition<A>[];
  affordance(obs: Observation, args: A, geometry: RobotGeometry): Affordance;
  /** Seconds of loop time after which the runner gives up; Infinity for skills that run until cancelled. */
  timeout_s(args: A, obs: Observation, geometry: RobotGeometry): number;
  start(args: A, ctx: SkillContext): P;
  step(state: StateSnapshot, params: P, ctx: SkillContext): Action;
  done(params: P, ctx: SkillContext): boolean;
  /** A reason when the skill cannot succeed any more, else null. */
  failed(params: P, ctx: SkillContext): string | null;
  /** How far along the run is, in [0, 1], for progress displays; absent when the skill cannot tell. */
  progress?(params: P, ctx: SkillContext): number;
  /** Called once when the run is cancelled; the runner then holds. */
  cancel?(params: P, ctx: SkillContext): void;
}

// Heterogeneous skills live in one registry; their arg types are checked by their own zod schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySkill = Skill<any, any>;

/** Identity with inference: `defineSkill({ args: z.object(...), start(args) {...} })` types args from the schema. */
export function defineSkill<S extends z.ZodType, P>(skill: Skill<z.output<S>, P> & { args: S }): Skill<z.output<S>, P> {
  return skill;
}
