// Validation of every LLM reply before anything can run: tool-call count, sizes, known skills, JSON arguments, each skill's own zod schema; errors name the call and field.
import { z } from 'zod';
import type { SkillRegistry } from '../skills/registry.ts';
import type { Candidate, PlanStep } from './plan.ts';
import { FINISH_TOOL, MAX_PLAN_STEP, PREFERENCE_FIELD, STEP_FIELD } from './tools.ts';
import type { AssistantReply } from './wire.ts';
import { zodIssue } from '../util/zod-issue.ts';

export interface ReplyLimits {
  /** More tool calls than this in one reply is a flood: the whole reply is rejected. */
  max_tool_calls: number;
  max_content_chars: number;
  /** [bytes] of one call's arguments text. */
  max_argument_bytes: number;
  max_candidates_per_step: number;
}

export const DEFAULT_LIMITS: ReplyLimits = { max_tool_calls: 16, max_content_chars: 4000, max_argument_bytes: 4096, max_candidates_per_step: 4 };

const Planning = z.strictObject({
  [STEP_FIELD]: z.number().int().min(1).max(MAX_PLAN_STEP).optional(),
  [PREFERENCE_FIELD]: z.number().gt(0).max(1).optional(),
});
const Finish = z.strictObject({ success: z.boolean(), message: z.string().max(500) });

export interface CallError {
  /** The tool call's id, so the error can go back as that call's tool result. */
  id: string;
  name: string;
  error: string;
}

export type Validation =
  | { ok: true; steps: PlanStep[]; finish: { success: boolean; message: string } | null; message: string | null }
  | {
      ok: false;
      /** Whole-reply problems (flood, oversize, empty); per-call problems are in call_errors. */
      errors: string[];
      call_errors: CallError[];
    };

/** Checks a reply against the offered skills. Any error rejects the whole reply: a plan runs entirely valid or not at all. */
export function validateReply(reply: AssistantReply, registry: SkillRegistry, offered: ReadonlySet<string>, limits: ReplyLimits = DEFAULT_LIMITS): Validation {
  const errors: string[] = [];
  const call_errors: CallError[] = [];
  const calls = reply.tool_calls;
  if (calls.length > limits.max_tool_calls)
    errors.push(`the reply has ${calls.length} tool calls; at most ${limits.max_tool_calls} are accepted (plan fewer steps; the rest can follow after these run)`);
  if ((reply.content?.length ?? 0) > limits.max_content_chars)
    errors.push(`the reply's text is ${reply.content!.length} characters; at most ${limits.max_content_chars} are accepted`);
  if (calls.length === 0 && !(reply.content ?? '').trim())
    errors.push(`the reply is empty: call skills, or ${FINISH_TOOL} when the task is over`);
  if (errors.length) return { ok: false, errors, call_errors };

  const candidates: { step: number; c: Candidate; order: number }[] = [];
  let finish: { success: boolean; message: string } | null = null;
  let step = 0;
  calls.forEach((call, order) => {
    const bad = (error: string) => call_errors.push({ id: call.id, name: call.name, error });
    const bytes = Buffer.byteLength(call.arguments);
    if (bytes > limits.max_argument_bytes) return bad(`arguments are ${bytes} bytes; at most ${limits.max_argument_bytes}`);
    let args: unknown;
    try {
      args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch (e) {
      return bad(`arguments are not valid JSON (${(e as Error).message})`);
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return bad('arguments must be a JSON object');
    if (call.name === FINISH_TOOL) {
      const r = Finish.safeParse(args);
      if (!r.success) return bad(`bad args: ${zodIssue(r.error)}`);
      if (finish) return bad(`${FINISH_TOOL} may be called once per reply`);
      finish = r.data;
      return;
    }
    if (!offered.has(call.name) || !registry.has(call.name)) return bad(`unknown skill "${call.name}"; the skills are: ${[...offered].join(', ')}`);
    const { [STEP_FIELD]: s, [PREFERENCE_FIELD]: p, ...skillArgs } = args as Record<string, unknown>;
    const planning = Planning.safeParse({ ...(s !== undefined ? { [STEP_FIELD]: s } : {}), ...(p !== undefined ? { [PREFERENCE_FIELD]: p } : {}) });
    if (!planning.success) return bad(`bad planning field: ${zodIssue(planning.error)}`);
    let parsed: unknown;
    try {
      parsed = registry.parseArgs(call.name, skillArgs);
    } catch (e) {
      return bad((e as Error).message);
    }
    const st = planning.data[STEP_FIELD] ?? step + 1;
    if (st < step) return bad(`${STEP_FIELD} ${st} comes after step ${step}: list the calls in step order`);
    step = st;
    candidates.push({
      step: st,
      order,
      c: { id: call.id, skill: call.name, args: parsed as Record<string, unknown>, preference: planning.data[PREFERENCE_FIELD] ?? 1 },
    });
  });
  const byStep = new Map<number, Candidate[]>();
  for (const x of candidates) byStep.set(x.step, [...(byStep.get(x.step) ?? []), x.c]);
  for (const [n, cs] of byStep)
    if (cs.length > limits.max_candidates_per_step)
      errors.push(`step ${n} has ${cs.length} alternatives; at most ${limits.max_candidates_per_step}`);
  if (errors.length || call_errors.length) return { ok: false, errors, call_errors };
  // Stable sort: equal preferences keep the LLM's order.
  const steps = [...byStep.entries()].sort((a, b) => a[0] - b[0]).map(([, cs]) => ({ candidates: [...cs].sort((a, b) => b.preference - a.preference) }));
  return { ok: true, steps, finish, message: reply.content?.trim() || null };
}
