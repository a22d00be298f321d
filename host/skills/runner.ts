// Runs one skill at a time, tick by tick: checks preconditions and affordance at start, applies corrections at the next step, enforces timeouts, catches throws.
import type { Action, JointKind, StateSnapshot, TickInput } from '../executor/contract.ts';
import type { AnySkill, SkillContext, Tuning } from './contract.ts';
import { applyCorrection, INITIAL_TUNING, type Correction } from './corrections.ts';
import { GRIPPER, type RobotGeometry } from './geometry.ts';
import { parseObservation, type Observation } from './observation.ts';
import type { SkillRegistry } from './registry.ts';
import type { SkillRunState, SkillStatus } from './status.ts';

/** Position joints hold their last target, velocity joints stop: the envelope's meaning of an empty action. */
export const HOLD: Action = Object.freeze({});

/** [s] of loop time between 'running' reports (progress) while a skill runs. */
const PROGRESS_EVERY_S = 0.1;

export interface SkillRunnerOptions {
  registry: SkillRegistry;
  joints: readonly { name: string; kind: JointKind }[];
  rate_hz: number;
  /** The robot's geometry (from its robot file): what skills plan with. */
  geometry: RobotGeometry;
  onStatus?: (s: SkillStatus) => void;
}

interface Run {
  id: number;
  request_id: string | null;
  skill: AnySkill;
  args: unknown;
  params: unknown;
  timeout_s: number;
  ticks: number;
  ctx: SkillContext & { elapsed_s: number; tuning: Tuning };
  pending: Correction[];
}

export class SkillRunner {
  readonly obs: Observation;
  private readonly period_s: number;
  private readonly progressEveryTicks: number;
  private readonly geometry: RobotGeometry;
  private readonly names: readonly string[];
  private run: Run | null = null;
  private nextId = 1;
  private tick = 0;
  private cancelReason: string | null = null;
  /** The most recent status, for polling callers (tests, the kinematic harness). */
  last: SkillStatus | null = null;

  constructor(private readonly o: SkillRunnerOptions) {
    this.period_s = 1 / o.rate_hz;
    this.progressEveryTicks = Math.max(1, Math.round(PROGRESS_EVERY_S * o.rate_hz));
    this.geometry = o.geometry;
    this.names = o.joints.map((j) => j.name);
    const joints: Observation['joints'] = {};
    for (const n of this.names) joints[n] = { position_rad: NaN, velocity_radps: NaN };
    this.obs = { base: { x_m: NaN, y_m: NaN, heading_rad: NaN }, joints, objects: [], held_id: null };
  }

  get active(): { run_id: number; skill: string; elapsed_s: number } | null {
    const r = this.run;
    return r ? { run_id: r.id, skill: r.skill.name, elapsed_s: r.ctx.elapsed_s } : null;
  }

  /** Copies the state snapshot into the observation (in place: no allocation per tick). */
  sync(state: StateSnapshot): void {
    const b = this.obs.base;
    b.x_m = state.base_x_m;
    b.y_m = state.base_y_m;
    b.heading_rad = state.base_heading_rad;
    for (let i = 0; i < this.names.length; i++) {
      const j = this.obs.joints[this.names[i]!]!;
      j.position_rad = state.position_rad[i]!;
      j.velocity_radps = state.velocity_radps[i]!;
    }
  }

  /** New perception (objects, held id; base/joints too when given, until the next state snapshot). */
  observe(raw: unknown): void {
    const o = parseObservation(raw);
    (this.obs as { objects: Observation['objects'] }).objects = o.objects;
    this.obs.held_id = o.held_id;
    if (o.base) Object.assign(this.obs.base, o.base);
    if (o.joints) for (const [n, v] of Object.entries(o.joints)) if (this.obs.joints[n]) Object.assign(this.obs.joints[n], v);
  }

  /** How able the named skill is to succeed now, with these args (the planner's grounding). */
  affordance(name: string, rawArgs: unknown): { value: number; reason?: string } {
    const skill = this.o.registry.get(name);
    const args = this.o.registry.parseArgs(name, rawArgs);
    for (const p of skill.preconditions) if (!p.holds(this.obs, args)) return { value: 0, reason: `precondition failed: ${p.text}` };
    return skill.affordance(this.obs, args, this.geometry);
  }

  /**
   * Starts a skill (preempting any running one). Throws, and nothing runs, on unknown skill, bad args,
   * a failed precondition, affordance 0, or a start() that throws.
   */
  start(name: string, rawArgs: unknown, observation?: unknown, request_id: string | null = null): SkillStatus {
    if (observation !== undefined) this.observe(observation);
    const skill = this.o.registry.get(name);
    const args = this.o.registry.parseArgs(name, rawArgs);
    let params: unknown;
    let timeout_s: number;
    const ctx = { period_s: this.period_s, elapsed_s: 0, obs: this.obs, geometry: this.geometry, tuning: { ...INITIAL_TUNING } };
    try {
      for (const p of skill.preconditions) if (!p.holds(this.obs, args)) throw new Error(`precondition failed: ${p.text}`);
      const a = skill.affordance(this.obs, args, this.geometry);
      if (!(a.value > 0)) throw new Error(`affordance 0: ${a.reason ?? 'no reason given'}`);
      timeout_s = skill.timeout_s(args, this.obs, this.geometry);
      params = skill.start(args, ctx);
    } catch (e) {
      throw new Error(`skill "${name}" refused: ${(e as Error).message}`);
    }
    if (this.run) this.finish('cancelled', `preempted by "${name}"`);
    this.run = { id: this.nextId++, request_id, skill, args, params, timeout_s, ticks: 0, ctx, pending: [] };
    this.cancelReason = null;
    return this.report('running');
  }

  /** Queues a correction for the running skill; it applies at the next step. */
  correct(c: Correction): void {
    if (!this.run) throw new Error('no skill is running; a correction adjusts a running skill');
    this.run.pending.push(c);
  }

  /** Ends the running skill at the next step; the robot holds. */
  cancel(reason = 'cancelled'): void {
    if (this.run) this.cancelReason = reason;
  }

  step(input: TickInput): Action {
    this.tick = input.tick;
    this.sync(input.state);
    const r = this.run;
    if (!r) return HOLD;
    if (this.cancelReason !== null) {
      this.finish('cancelled', this.cancelReason);
      return HOLD;
    }
    for (const c of r.pending) {
      if (c.type === 'stop') {
        this.finish('cancelled', 'stopped by a "stop" correction');
        return HOLD;
      }
      applyCorrection(r.ctx.tuning, c, this.obs.base.heading_rad);
    }
    r.pending.length = 0;
    r.ctx.elapsed_s = r.ticks * this.period_s;
    try {
      // Predicates first, on the observation this tick brought: the previous step's result.
      const end = this.verdict(r);
      if (end) {
        this.finish(end.state, end.reason);
        return HOLD;
      }
      let action = r.skill.step(input.state, r.params, r.ctx);
      const g = r.ctx.tuning.gripper;
      if (g !== null) action = { ...action, position_rad: { ...action.position_rad, [GRIPPER]: g === 'open' ? this.geometry.gripper_open_rad : this.geometry.gripper_closed_rad } };
      r.ticks++;
      if (r.ticks % this.progressEveryTicks === 0) this.report('running');
      return action;
    } catch (e) {
      this.finish('failed', `skill "${r.skill.name}" threw: ${(e as Error).message}`);
      return HOLD;
    }
  }

  private verdict(r: Run): { state: SkillRunState; reason?: string } | null {
    if (r.ticks > 0) {
      if (r.skill.done(r.params, r.ctx)) return { state: 'done' };
      const why = r.skill.failed(r.params, r.ctx);
      if (why !== null) return { state: 'failed', reason: why };
    }
    if (r.ctx.elapsed_s >= r.timeout_s) return { state: 'timeout', reason: `no result within ${r.timeout_s.toFixed(1)} s` };
    return null;
  }

  private finish(state: SkillRunState, reason?: string): void {
    const r = this.run;
    if (!r) return;
    if (state === 'cancelled') {
      try {
        r.skill.cancel?.(r.params, r.ctx);
      } catch {
        // The run is over either way; its cancel hook failing must not keep it alive.
      }
    }
    this.report(state, reason);
    this.run = null;
    this.cancelReason = null;
  }

  private progressOf(r: Run): number | null {
    if (!r.skill.progress) return null;
    try {
      const v = r.skill.progress(r.params, r.ctx);
      return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : null;
    } catch {
      return null;
    }
  }

  private report(state: SkillRunState, reason?: string): SkillStatus {
    const r = this.run!;
    const s: SkillStatus = {
      type: 'skill_status',
      run_id: r.id,
      request_id: r.request_id,
      skill: r.skill.name,
      state,
      ...(reason === undefined ? {} : { reason }),
      elapsed_s: r.ctx.elapsed_s,
      progress: state === 'done' ? 1 : this.progressOf(r),
      tick: this.tick,
    };
    this.last = s;
    try {
      this.o.onStatus?.(s);
    } catch {
      // A broken listener must not break the loop.
    }
    return s;
  }
}
