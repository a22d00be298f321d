// Human-readable lines for planner events: the plan, each step with its candidates' affordances and scores, replans, corrections, the outcome.
import type { PlannerEvent, PlanRunResult } from './planner.ts';
import { describeReason, type ReplanReason } from './plan.ts';
import { percentile } from './stats.ts';

/** Args with numbers to the millimetre / milliradian: what a reader needs. */
const args = (a: Record<string, unknown>) => JSON.stringify(a, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v * 1000) / 1000 : v));
/** World text (labels in reasons) is shown as a JSON string: it cannot break the terminal's lines. */
const quote = (s: string) => JSON.stringify(s);

function reasonDetail(r: ReplanReason): string {
  switch (r.kind) {
    case 'step_failed':
      return `: ${r.skill} ${r.state} ${quote(r.reason)}`;
    case 'correction':
      return `: ${quote(r.phrase)}`;
    case 'world_changed':
      return `: ${quote(r.what)}`;
    case 'infeasible':
      return '';
    default:
      return '';
  }
}

export function formatEvent(e: PlannerEvent): string[] {
  switch (e.type) {
    case 'memory':
      return [`memory: ${e.hits.length} similar correction(s)`, ...e.hits.map((h) => `  ${quote(h.entry.phrase)} during ${h.entry.skill ?? '?'} in ${quote(h.entry.task ?? '?')} from ${quote(h.entry.source)} (similarity ${h.score.toFixed(2)})`)];
    case 'replan':
      return [`replan: ${describeReason(e.reason)}${reasonDetail(e.reason)}`];
    case 'plan': {
      const p = e.plan;
      const head = `plan from ${p.source} (${p.timing.requests} request(s), ${p.timing.rejected} rejected, ${(p.timing.total_ms / 1000).toFixed(2)} s): ${p.steps.length} step(s)${p.finish ? `, then finish (${p.finish.success ? 'success' : 'failure'})` : ''}`;
      const lines = [head];
      if (p.message) lines.push(`  says: ${quote(p.message)}`);
      p.steps.forEach((s, i) => lines.push(`  ${i + 1}. ${s.candidates.map((c) => `${c.skill} ${args(c.args)}${s.candidates.length > 1 ? ` (preference ${c.preference})` : ''}`).join('  |  ')}`));
      if (p.finish && p.steps.length === 0) lines.push(`  finish: ${quote(p.finish.message)}`);
      return lines;
    }
    case 'grounding':
      return e.scored.length > 1 || e.scored[0]!.affordance.value < 1
        ? [
            `step ${e.step + 1}: ${e.grounding ? 'grounding' : 'no grounding'}:`,
            ...e.scored.map((s) => `  ${s === e.chosen ? '>' : ' '} ${s.skill} ${args(s.args)}: preference ${s.preference.toFixed(2)} x affordance ${s.affordance.value.toFixed(2)} = ${s.score.toFixed(2)}${s.affordance.reason ? ` (${quote(s.affordance.reason)})` : ''}`),
          ]
        : [];
    case 'infeasible':
      return [`step ${e.step + 1} not run: nothing in it is feasible now`, ...e.reasons.map((r) => `  ${quote(r)}`)];
    case 'step_start':
      return [`run ${e.skill} ${args(e.args)}  (decided in ${e.overhead_ms.toFixed(2)} ms)`];
    case 'step_end':
      return [`  -> ${e.state}${e.reason ? ` ${quote(e.reason)}` : ''} after ${e.elapsed_s.toFixed(1)} s`];
    case 'correction':
      return [`correction ${quote(e.phrase)} from ${quote(e.source)}${e.memory_id ? ` (remembered as ${e.memory_id})` : ''}`];
    case 'log':
      return [`log: ${e.line}`];
    case 'finished':
      return [];
  }
}

export function formatResult(r: PlanRunResult): string {
  const oh = r.overhead_ms.length ? `, decision overhead p50 ${percentile(r.overhead_ms, 50).toFixed(2)} ms` : '';
  const line = `outcome: ${r.outcome}: ${quote(r.message)} (${r.steps.length} step(s), ${r.plans} plan(s), ${r.llm_requests} LLM request(s), ${r.rejected_replies} rejected${oh})`;
  // The model's text is its claim, quoted on its own line: never the outcome.
  return r.model_message === null ? line : `${line}\n  model output (not checked): ${quote(r.model_message)}`;
}
