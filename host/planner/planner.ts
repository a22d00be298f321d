// The fast mind and the loop around it: asks the slow mind for a plan, grounds each step (SayCan), runs it on the robot, replans only on failure, infeasibility, a correction or a changed world.
import type { LoopEventMessage } from '../executor/commands.ts';
import type { CorrectionLogEntry } from '../skills/correction-log.ts';
import type { SkillStatus } from '../skills/status.ts';
import { groundStep, type ScoredCandidate } from './grounding.ts';
import type { MemoryHit, MemoryStore } from './memory.ts';
import type { CandidateResult, Plan, ReplanReason } from './plan.ts';
import type { PlannerRobot } from './robot.ts';
import { PlannerError, type SlowMind } from './slow-mind.ts';
import type { StepOutcome } from './state-summary.ts';
import { taskGoal, type TaskGoal } from './task-goal.ts';
import { worldChange } from './world-change.ts';

export type PlannerEvent =
  | { type: 'memory'; hits: MemoryHit[] }
  | { type: 'replan'; reason: ReplanReason }
  | { type: 'plan'; plan: Plan; reason: ReplanReason }
  | { type: 'grounding'; step: number; scored: ScoredCandidate[]; chosen: ScoredCandidate | null; grounding: boolean }
  /** A step was not run because nothing in it is feasible now: the reasons go to the user and to the slow mind. */
  | { type: 'infeasible'; step: number; reasons: string[] }
  | { type: 'step_start'; skill: string; args: Record<string, unknown>; overhead_ms: number }
  | { type: 'step_end'; skill: string; args: Record<string, unknown>; state: StepOutcome['state']; reason?: string; elapsed_s: number }
  | { type: 'correction'; phrase: string; source: string; memory_id: string | null }
  | { type: 'log'; line: string }
  | { type: 'finished'; outcome: PlanRunResult['outcome']; message: string; model_message: string | null };

export interface PlannerOptions {
  robot: PlannerRobot;
  slow: SlowMind;
  /** SayCan grounding (preference x affordance); off runs the most preferred candidate regardless (benchmark ablation). */
  grounding?: boolean;
  /** DROC memory: corrections stored with outcomes; similar ones retrieved for each task. */
  memory?: MemoryStore | null;
  /** Retrieved memory entries per task. */
  memory_k?: number;
  /** Most skill runs per task, and most plans (slow-mind calls) per task. */
  max_steps?: number;
  max_plans?: number;
  /**
   * Most times one step (same skill, same arguments) may end the same way (same state, same reason) in a task before
   * the task is given up: a reach that times out against an arm at its limit switch was replanned 19 times, 9 s each,
   * in the soak; with nothing changed, a fourth try fails like the third.
   */
  max_same_failures?: number;
  /** [m] movement of a referenced object that counts as the world changing. */
  moved_m?: number;
  onEvent?: (e: PlannerEvent) => void;
}

export interface PlanRunResult {
  outcome: 'done' | 'failed' | 'cancelled' | 'stopped';
  /** The outcome in the planner's own words: what was checked on the perceived state. Never the model's text. */
  message: string;
  /** What the slow mind (the model) said when it finished or stopped: its claim, to be shown quoted, never as the outcome. */
  model_message: string | null;
  steps: StepOutcome[];
  plans: number;
  /** HTTP requests to the LLM (repairs included) and replies rejected by validation. */
  llm_requests: number;
  rejected_replies: number;
  /** Per decision (one per step started): planner time [ms] excluding time spent waiting on the LLM. */
  overhead_ms: number[];
  /** Steps the grounding kept from running (every candidate infeasible). */
  infeasible_steps: number;
}

class GiveUp extends Error {}

export class Planner {
  private readonly grounding: boolean;

  constructor(private readonly o: PlannerOptions) {
    this.grounding = o.grounding ?? true;
  }

  /** Runs a task to its end. Never throws for planning or robot failures: they end in the result's outcome. */
  async run(task: string, opts: { signal?: AbortSignal } = {}): Promise<PlanRunResult> {
    const { robot, slow } = this.o;
    const signal = opts.signal;
    const emit = (e: PlannerEvent) => this.o.onEvent?.(e);
    const history: StepOutcome[] = [];
    const overhead: number[] = [];
    let results = new Map<string, CandidateResult>();
    let plans = 0;
    let requests = 0;
    let rejected = 0;
    let infeasibleSteps = 0;
    let llmInDecision = 0;
    const memoryIds: string[] = [];
    let stepMemoryIds: string[] = [];
    const pendingCorrections: string[] = [];

    const hits = this.o.memory ? safe(() => this.o.memory!.retrieve(task, this.o.memory_k ?? 5), [] as MemoryHit[], (e) => emit({ type: 'log', line: `memory: ${e}` })) : [];
    if (hits.length) emit({ type: 'memory', hits });

    const ask = async (reason: ReplanReason): Promise<Plan> => {
      if (plans >= (this.o.max_plans ?? 20)) throw new GiveUp(`gave up after ${plans} plans (${reason.kind})`);
      plans++;
      if (reason.kind !== 'start') emit({ type: 'replan', reason });
      const snapshot = robot.snapshot();
      const ctx = { task, reason, snapshot, memory: hits, results, history: history.slice(-8), ...(signal ? { signal } : {}) };
      results = new Map();
      try {
        const plan = await slow.plan(ctx);
        requests += plan.timing.requests;
        rejected += plan.timing.rejected;
        llmInDecision += plan.timing.llm_ms;
        emit({ type: 'plan', plan, reason });
        return plan;
      } catch (e) {
        if (e instanceof PlannerError) {
          requests += 1 + e.rejections.length;
          rejected += e.rejections.length;
        }
        throw e;
      }
    };

    const memoryError = (e: Error) => emit({ type: 'log', line: `memory: ${e.message}` });

    // Corrections (from the operator, over MQTT or the dashboard): remembered with their outcome, and the slow mind
    // replans in the background while the corrected step keeps running.
    let background: Promise<Plan> | null = null;
    let current: { id: string; skill: string } | null = null;
    const onCorrection = (entry: CorrectionLogEntry) => {
      const source = entry.source ?? 'operator';
      let id: string | null = null;
      if (this.o.memory) {
        const m = safe(
          () => this.o.memory!.createEntry({ source, phrase: entry.phrase, correction: entry.correction, task, skill: entry.skill ?? current?.skill ?? null, ...(entry.skill_args !== undefined ? { skill_args: entry.skill_args } : {}) }),
          null,
          (e) => emit({ type: 'log', line: `memory: ${e}` }),
        );
        if (m) {
          this.o.memory.insertAsync(m).catch(memoryError);
          id = m.id;
          memoryIds.push(m.id);
          stepMemoryIds.push(m.id);
        }
      }
      emit({ type: 'correction', phrase: entry.phrase, source, memory_id: id });
      pendingCorrections.push(entry.phrase);
      if (!background && current) {
        results.set(current.id, { status: 'running', reason: 'a correction arrived while it ran' });
        const p = ask({ kind: 'correction', phrase: pendingCorrections.splice(0).join('; ') });
        p.catch(() => {}); // handled where it is awaited
        background = p;
      }
    };
    robot.on('correction', onCorrection);
    // The envelope latches on a stall or an e-stop (torque off until cleared); the snapshot may not show a stall latch,
    // so the loop's own events are tracked too.
    let latched: string | null = null;
    const onLoopEvent = (m: LoopEventMessage) => {
      if (m.kind === 'stall' || m.kind === 'estop') latched = `${m.kind}${m.joint ? ` (${m.joint})` : ''}: ${m.text}`;
      else if (m.kind === 'clear') latched = null;
    };
    robot.on('loop_event', onLoopEvent);
    // A cancel must reach the robot at once, not when the running skill ends by itself.
    const onAbort = () => void robot.cancel('the planner was cancelled').catch(() => undefined);
    signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (outcome: PlanRunResult['outcome'], message: string, model_message: string | null = null): PlanRunResult => {
      if (this.o.memory && memoryIds.length) {
        const task_outcome = outcome === 'stopped' ? 'failed' : outcome;
        this.o.memory.setOutcomeAsync(memoryIds, { task: task_outcome }).catch(memoryError);
      }
      emit({ type: 'finished', outcome, message, model_message });
      return { outcome, message, model_message, steps: history, plans, llm_requests: requests, rejected_replies: rejected, overhead_ms: overhead, infeasible_steps: infeasibleSteps };
    };
    // The model's word is a claim: success stands only when the task's own done predicate holds on the perceived state.
    let goal: TaskGoal | null = null;
    const claimed = (f: NonNullable<Plan['finish']>): PlanRunResult => {
      if (!f.success) return finish('failed', 'the planner reported that the task cannot be done', f.message);
      if (goal) {
        const g = goal.check(robot.snapshot());
        return g.done ? finish('done', `checked on the perceived state: ${g.why}`, f.message)
          : finish('failed', `the planner claimed success, but ${g.why} (goal: ${goal.describe})`, f.message);
      }
      const last = history.at(-1);
      if (!last) return finish('failed', 'the planner claimed success before any step ran, and this task names no goal that can be checked on the perceived state', f.message);
      if (last.state !== 'done') return finish('failed', `the planner claimed success, but its last step ${last.skill} ended ${last.state}`, f.message);
      return finish('done', `not checked: this task names no goal checkable on the perceived state; ${history.filter((h) => h.state === 'done').length} of ${history.length} step(s) done, the last one (${last.skill}) done`, f.message);
    };
    const markRest = (plan: Plan, from: number, status: CandidateResult['status'], reason: string) => {
      for (const st of plan.steps.slice(from)) for (const c of st.candidates) if (!results.has(c.id)) results.set(c.id, { status, reason });
    };

    robot.setTask(task);
    slow.reset(task);
    goal = taskGoal(task, robot.snapshot());
    try {
      let decisionStart = performance.now();
      llmInDecision = 0;
      let plan = await ask({ kind: 'start' });
      let i = 0;
      for (;;) {
        if (signal?.aborted) return finish('cancelled', 'cancelled');
        if (i >= plan.steps.length) {
          if (plan.finish) return claimed(plan.finish);
          if (plan.steps.length === 0) return finish('stopped', 'the planner replied without a step', plan.message ?? null);
          plan = await ask({ kind: 'plan_complete' });
          i = 0;
          continue;
        }
        if (history.length >= (this.o.max_steps ?? 60)) return finish('failed', `gave up after ${history.length} steps`);
        const snap = robot.snapshot();
        // Never command through a latched e-stop: a human cleared nothing, so the planner stops.
        if (snap.estop.latched) return finish('failed', `the e-stop is latched (${snap.estop.reason ?? 'no reason given'}); clear it and plan again`);
        if (latched) return finish('failed', `the safety envelope latched: ${latched}; clear it and plan again`);
        const changed = worldChange(plan.snapshot, snap, plan.steps.slice(i), this.o.moved_m);
        if (changed) {
          markRest(plan, i, 'not_reached', `the world changed: ${changed}`);
          plan = await ask({ kind: 'world_changed', what: changed });
          i = 0;
          continue;
        }
        const g = groundStep(plan.steps[i]!, robot, this.grounding);
        emit({ type: 'grounding', step: i, scored: g.scored, chosen: g.chosen, grounding: this.grounding });
        if (!g.chosen) {
          infeasibleSteps++;
          for (const s of g.scored) results.set(s.id, { status: 'infeasible', reason: s.affordance.reason ?? 'affordance 0', affordance: s.affordance.value });
          markRest(plan, i + 1, 'not_reached', 'an earlier step was infeasible');
          emit({ type: 'infeasible', step: i, reasons: g.infeasible });
          plan = await ask({ kind: 'infeasible', reasons: g.infeasible });
          i = 0;
          continue;
        }
        const c = g.chosen;
        for (const s of g.scored) if (s !== c) results.set(s.id, { status: 'not_chosen', reason: `${c.skill} scored higher (${c.score.toFixed(2)} vs ${s.score.toFixed(2)})`, affordance: s.affordance.value });
        const overhead_ms = performance.now() - decisionStart - llmInDecision;
        overhead.push(overhead_ms);
        emit({ type: 'step_start', skill: c.skill, args: c.args, overhead_ms });
        current = { id: c.id, skill: c.skill };
        stepMemoryIds = [];
        let status: SkillStatus | { state: 'refused'; reason: string; elapsed_s: number };
        try {
          status = await robot.runSkill(c.skill, c.args);
        } catch (e) {
          status = { state: 'refused', reason: (e as Error).message, elapsed_s: 0 };
        }
        current = null;
        decisionStart = performance.now();
        llmInDecision = 0;
        const outcome: StepOutcome = { skill: c.skill, args: c.args, state: status.state, ...(status.reason ? { reason: status.reason } : {}) };
        history.push(outcome);
        results.set(c.id, { status: status.state === 'running' ? 'failed' : status.state, ...(status.reason ? { reason: status.reason } : {}), affordance: c.affordance.value });
        emit({ type: 'step_end', ...outcome, elapsed_s: status.elapsed_s });
        if (this.o.memory && stepMemoryIds.length) {
          const ids = stepMemoryIds;
          const st = status.state === 'running' ? 'failed' : status.state;
          this.o.memory.setOutcomeAsync(ids, { step: st }).catch(memoryError);
        }
        if (signal?.aborted) return finish('cancelled', 'cancelled');
        const bg = background as Promise<Plan> | null;
        background = null;
        if (status.state === 'done') {
          i++;
          if (bg) {
            // The plan made after the correction replaces the rest of this one.
            plan = await bg;
            i = 0;
          }
          if (pendingCorrections.length) {
            markRest(plan, i, 'not_reached', 'replanned after a correction');
            plan = await ask({ kind: 'correction', phrase: pendingCorrections.splice(0).join('; ') });
            i = 0;
          }
          continue;
        }
        if (bg) await bg.catch(() => undefined);
        pendingCorrections.length = 0;
        // A step that failed while an MCU is not armed (watchdog trip, link loss) failed for that reason: replanning
        // would only command outputs that are at their safe defaults. A human re-arms.
        if (latched) return finish('failed', `${c.skill} ${status.state} after the safety envelope latched: ${latched}; clear it and plan again`);
        const down = Object.entries(robot.snapshot().armed).filter(([, a]) => !a).map(([n]) => n);
        if (down.length) return finish('failed', `${c.skill} ${status.state} while ${down.join(', ')} ${down.length > 1 ? 'are' : 'is'} not armed (outputs at their safe defaults); re-arm and plan again`);
        const repeats = history.filter((h) => sameFailure(h, outcome)).length;
        if (repeats >= (this.o.max_same_failures ?? 3)) {
          return finish('failed', `${c.skill} ${JSON.stringify(c.args)} ended ${status.state} ${repeats} times${status.reason ? ` (${status.reason})` : ''}; nothing changed between the tries, so the next would end the same way`);
        }
        markRest(plan, i + 1, 'not_reached', `${c.skill} ${status.state}`);
        plan = await ask({ kind: 'step_failed', skill: c.skill, state: status.state, reason: status.reason ?? '' });
        i = 0;
      }
    } catch (e) {
      if (signal?.aborted) return finish('cancelled', 'cancelled');
      if (e instanceof GiveUp || e instanceof PlannerError) return finish('failed', e.message);
      throw e;
    } finally {
      // The task's memory writes land before run() resolves (they never block a step: they are queued, asynchronous).
      await this.o.memory?.flush();
      robot.off('correction', onCorrection);
      robot.off('loop_event', onLoopEvent);
      signal?.removeEventListener('abort', onAbort);
      robot.setTask(null);
    }
  }
}

/** The same step (skill and arguments) ending the same way (state and reason). */
function sameFailure(a: StepOutcome, b: StepOutcome): boolean {
  return a.skill === b.skill && a.state === b.state && a.reason === b.reason && JSON.stringify(a.args) === JSON.stringify(b.args);
}

/** Memory is a help, never a reason to stop the robot: its errors are logged and the task goes on. */
function safe<T>(f: () => T, fallback: T, log: (e: string) => void): T {
  try {
    return f();
  } catch (e) {
    log((e as Error).message);
    return fallback;
  }
}
