// SayCan grounding: each candidate of a step scored as the slow mind's preference x the skill's affordance in the current state; infeasible steps are not run.
import type { Affordance } from '../skills/contract.ts';
import type { Candidate, PlanStep } from './plan.ts';
import type { PlannerRobot } from './robot.ts';

export interface ScoredCandidate extends Candidate {
  affordance: Affordance;
  /** preference x affordance. */
  score: number;
}

export interface Grounded {
  scored: ScoredCandidate[];
  /** The candidate to run, or null when every one is infeasible (grounding on) . */
  chosen: ScoredCandidate | null;
  /** Why nothing can run: one reason per candidate. */
  infeasible: string[];
}

/**
 * The robot's affordance for each candidate (its own skill code, on its current observation), asking skills() as few
 * times as possible: once per round of distinct skill names, since one call takes one set of args per skill (and on
 * the runtime each call costs about a millisecond). Unknown counts as feasible: the runner checks again.
 */
export function affordancesOf(robot: PlannerRobot, cs: readonly Candidate[]): Affordance[] {
  const out: Affordance[] = new Array(cs.length);
  let left = cs.map((c, i) => ({ c, i }));
  while (left.length) {
    const round = new Map<string, { c: Candidate; i: number }>();
    const later: typeof left = [];
    for (const x of left) {
      if (round.has(x.c.skill)) later.push(x);
      else round.set(x.c.skill, x);
    }
    const infos = robot.skills(Object.fromEntries([...round].map(([name, x]) => [name, x.c.args])));
    for (const [name, x] of round) {
      const info = infos.find((s) => s.name === name);
      out[x.i] = !info ? { value: 0, reason: `the robot has no skill "${name}"` } : (info.affordance ?? { value: 1, reason: 'affordance unknown' });
    }
    left = later;
  }
  return out;
}

/**
 * Scores a step's candidates. With grounding, the best preference x affordance runs, and a step whose
 * best score is 0 does not run at all. Without it (the benchmark's ablation), the most preferred runs,
 * and the robot's runner is left to refuse it.
 */
export function groundStep(step: PlanStep, robot: PlannerRobot, grounding: boolean): Grounded {
  const affordances = affordancesOf(robot, step.candidates);
  const scored = step.candidates.map((c, i) => {
    const a = affordances[i]!;
    const value = Number.isFinite(a.value) ? Math.max(0, Math.min(1, a.value)) : 0;
    return { ...c, affordance: { ...a, value }, score: c.preference * value };
  });
  if (!grounding) return { scored, chosen: scored[0] ?? null, infeasible: [] };
  let best: ScoredCandidate | null = null;
  for (const s of scored) if (s.score > 0 && (best === null || s.score > best.score)) best = s;
  const infeasible = best ? [] : scored.map((s) => `${s.skill} ${JSON.stringify(s.args)}: ${s.affordance.reason ?? 'affordance 0'}`);
  return { scored, chosen: best, infeasible };
}
