// A plan as the slow mind hands it to the fast mind: ordered steps, each a set of candidate macro actions with the planner's preference.
import type { RobotSnapshot } from '../runtime/control.ts';

/** One macro action the slow mind proposes for a step, with how much it prefers it (SayCan's LLM score). */
export interface Candidate {
  /** The tool-call id (LLM) or a local id (rules): step results are reported back under it. */
  id: string;
  skill: string;
  /** Already validated by the skill's own zod schema (defaults filled in). */
  args: Record<string, unknown>;
  /** (0, 1]; the fast mind multiplies it by the skill's affordance now. */
  preference: number;
}

export interface PlanStep {
  /** Alternatives for this step, highest preference first. */
  candidates: Candidate[];
}

export interface Plan {
  steps: PlanStep[];
  /** The slow mind's words to the user (LLM content, or the rule planner's explanation). */
  message: string | null;
  /** Set when the slow mind reports the task finished (alone: now; with steps: once they all succeed). */
  finish: { success: boolean; message: string } | null;
  /** Who made it. */
  source: string;
  /** The state the plan was made in: the fast mind compares against it to notice that the world changed. */
  snapshot: RobotSnapshot;
  /** Time spent in the plan call [ms], and the part of it spent waiting on the LLM (network + model). */
  timing: { total_ms: number; llm_ms: number; requests: number; rejected: number };
}

/** Why the slow mind is asked (again). The fast mind replans only for these. */
export type ReplanReason =
  | { kind: 'start' }
  | { kind: 'plan_complete' }
  | { kind: 'step_failed'; skill: string; state: string; reason: string }
  | { kind: 'infeasible'; reasons: string[] }
  | { kind: 'correction'; phrase: string }
  | { kind: 'world_changed'; what: string };

/** What happened to a proposed candidate: reported to the LLM as the tool result of its call. */
export interface CandidateResult {
  status: 'done' | 'failed' | 'timeout' | 'cancelled' | 'refused' | 'infeasible' | 'not_chosen' | 'not_reached' | 'running';
  reason?: string;
  affordance?: number;
}

export function describeReason(r: ReplanReason): string {
  switch (r.kind) {
    case 'start':
      return 'a new task';
    case 'plan_complete':
      return 'every step of the previous plan ran; decide what is left, or finish';
    case 'step_failed':
      return `step ${r.skill} ended ${r.state}`;
    case 'infeasible':
      return 'no candidate of the next step is feasible now (affordance 0)';
    case 'correction':
      return 'the operator gave a correction';
    case 'world_changed':
      return 'the world changed since the plan was made';
  }
}
