// The kinematic simulator (SkillHarness: the real skills, runner and envelope in simulated time) as a PlannerRobot: for tests and the task benchmark.
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { RobotEvents, RobotSnapshot, SkillInfo } from '../runtime/control.ts';
import { SkillHarness, type HarnessOptions } from '../world/kinematic/harness.ts';
import { createRegistry, type SkillRegistry } from '../skills/registry.ts';
import { WHEEL_LEFT, WHEEL_RIGHT } from '../skills/geometry.ts';
import type { CorrectionLogEntry } from '../skills/correction-log.ts';
import { parseCorrection } from '../skills/corrections.ts';
import type { Affordance } from '../skills/contract.ts';
import type { SkillStatus } from '../skills/status.ts';
import { forwardSpeed_mps } from '../executor/diff-drive.ts';
import type { PlannerRobot } from './robot.ts';

export interface KinematicPlannerRobotOptions extends HarnessOptions {
  robotId?: string;
  /** Simulated ticks between yields to the event loop, so a long skill never blocks it. */
  ticks_per_yield?: number;
  /** [s] of simulated time after which a run is abandoned (the runner's own timeouts come first). */
  max_run_s?: number;
}

const RECENT_FAILURES = 5;
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export class KinematicPlannerRobot extends EventEmitter<RobotEvents> implements PlannerRobot {
  readonly robotId: string;
  readonly harness: SkillHarness;
  readonly registry: SkillRegistry;
  /** Largest measured base speed [m/s] and wheel speed [rad/s] since construction: what the envelope let through. */
  maxBaseSpeed_mps = 0;
  maxWheelSpeed_radps = 0;
  /** Every skill run that started, in order (for tests and the benchmark). */
  readonly runs: { skill: string; args: unknown; state: string; reason?: string }[] = [];
  private task: string | null = null;
  private readonly failures: RobotSnapshot['recent_failures'] = [];
  private active: { request_id: string; skill: string; args: unknown; run_id: number } | null = null;
  private requests = 0;
  private readonly schemas = new Map<string, unknown>();
  private readonly wl: number;
  private readonly wr: number;

  constructor(private readonly o: KinematicPlannerRobotOptions) {
    super();
    this.robotId = o.robotId ?? 'kinematic';
    this.registry = o.registry ?? createRegistry();
    this.harness = new SkillHarness({ ...o, registry: this.registry });
    this.wl = this.harness.robot.i(WHEEL_LEFT);
    this.wr = this.harness.robot.i(WHEEL_RIGHT);
  }

  /** Brings the runner's observation up to date (state and perception), as the live runtime does every tick. */
  private refresh(): void {
    this.harness.runner.sync(this.harness.robot.state());
    this.harness.perceive();
  }

  async runSkill(name: string, args: unknown): Promise<SkillStatus> {
    const h = this.harness;
    this.refresh();
    const request_id = `k${++this.requests}`;
    let started: SkillStatus;
    try {
      started = h.runner.start(name, args, undefined, request_id);
    } catch (e) {
      this.fail(name, 'refused', (e as Error).message);
      this.runs.push({ skill: name, args, state: 'refused', reason: (e as Error).message });
      throw e;
    }
    this.active = { request_id, skill: name, args, run_id: started.run_id };
    this.emit('skill_status', started);
    const limit = h.robot.tick + Math.ceil((this.o.max_run_s ?? 600) * h.robot.rate_hz);
    const chunk = this.o.ticks_per_yield ?? 500;
    try {
      for (;;) {
        for (let i = 0; i < chunk; i++) {
          h.tick();
          const v = h.robot.velocity_radps;
          const wl = v[this.wl]!;
          const wr = v[this.wr]!;
          this.maxWheelSpeed_radps = Math.max(this.maxWheelSpeed_radps, Math.abs(wl), Math.abs(wr));
          this.maxBaseSpeed_mps = Math.max(this.maxBaseSpeed_mps, Math.abs(forwardSpeed_mps(h.robot.geometry.wheel_radius_m, wl, wr)));
          const last = h.runner.last;
          if (last && last.run_id === started.run_id && last.state !== 'running') {
            if (last.state !== 'done') this.fail(name, last.state, last.reason ?? '');
            this.runs.push({ skill: name, args, state: last.state, ...(last.reason ? { reason: last.reason } : {}) });
            this.emit('skill_status', last);
            return last;
          }
          if (h.robot.tick >= limit) {
            h.runner.cancel(`still running after ${this.o.max_run_s ?? 600} s of simulated time`);
          }
        }
        await yieldToLoop();
      }
    } finally {
      this.active = null;
    }
  }

  async cancel(reason: string): Promise<void> {
    this.harness.runner.cancel(reason);
  }

  /** A language correction to the running skill, as the runtime's correct(): parsed, applied at the next tick, announced. */
  async correct(phrase: string, source: string): Promise<CorrectionLogEntry> {
    const c = parseCorrection(phrase);
    this.harness.runner.correct(c);
    const obs = this.harness.runner.obs;
    const entry: CorrectionLogEntry = {
      timestamp: new Date().toISOString(),
      phrase,
      correction: c,
      task: this.task,
      skill: this.active?.skill ?? null,
      ...(this.active ? { skill_args: this.active.args } : {}),
      state: { base: { ...obs.base }, held_id: obs.held_id, skill_elapsed_s: this.harness.runner.active?.elapsed_s ?? 0 },
      source,
    };
    this.emit('correction', entry);
    return entry;
  }

  setTask(task: string | null): void {
    this.task = task;
  }

  snapshot(): RobotSnapshot {
    this.refresh();
    const obs = this.harness.runner.obs;
    const a = this.harness.runner.active;
    const setpoints: Record<string, number> = {};
    return {
      robot: this.robotId,
      at_ms: Date.now(),
      mode: a ? 'skill' : 'idle',
      estop: { latched: false, reason: null },
      // The kinematic robot has no envelope: nothing can latch.
      stalled: [],
      armed: { kinematic: true },
      observation: {
        base: { ...obs.base },
        joints: Object.fromEntries(Object.entries(obs.joints).map(([k, v]) => [k, { ...v }])),
        objects: obs.objects.map((x) => ({ ...x })),
        held_id: obs.held_id,
      },
      setpoints,
      active_skill:
        a && this.active ? { request_id: this.active.request_id, skill: a.skill, args: this.active.args, elapsed_s: a.elapsed_s, progress: null } : null,
      task: this.task,
      recent_failures: [...this.failures],
    };
  }

  skills(argsBySkill: Record<string, unknown> = {}): SkillInfo[] {
    this.refresh();
    const r = this.registry;
    return r.names().map((name) => {
      const s = r.get(name);
      if (!this.schemas.has(name)) this.schemas.set(name, z.toJSONSchema(s.args, { io: 'input' }));
      const args = argsBySkill[name];
      let affordance: Affordance | null;
      if (args === undefined && !s.args.safeParse({}).success) affordance = null;
      else {
        try {
          affordance = this.harness.runner.affordance(name, args ?? {});
        } catch (e) {
          affordance = { value: 0, reason: (e as Error).message };
        }
      }
      return { name, description: s.description, args_schema: this.schemas.get(name), affordance };
    });
  }

  private fail(skill: string, state: string, reason: string): void {
    this.failures.push({ skill, state, reason });
    if (this.failures.length > RECENT_FAILURES) this.failures.shift();
  }
}
