// The slow mind: turns a task and the robot's state into a plan. LlmSlowMind asks a Chat Completions endpoint, validates the reply and has it repaired.
import type { RobotSnapshot } from '../runtime/control.ts';
import type { SkillRegistry } from '../skills/registry.ts';
import { LlmError, warmUpFetch, type ChatClient } from './llm-client.ts';
import type { MemoryHit } from './memory.ts';
import type { CandidateResult, Plan, ReplanReason } from './plan.ts';
import { planRequestMessage, SYSTEM_PROMPT, taskMessage, toolResultMessage } from './prompt.ts';
import { summarize, type StepOutcome } from './state-summary.ts';
import { plannerTools } from './tools.ts';
import { DEFAULT_LIMITS, validateReply, type ReplyLimits } from './validate.ts';
import type { ChatMessage, ToolDef, WireToolCall } from './wire.ts';

export interface PlanContext {
  task: string;
  reason: ReplanReason;
  snapshot: RobotSnapshot;
  /** Corrections remembered for similar tasks (DROC), shown as data. */
  memory: readonly MemoryHit[];
  /** How each candidate of the previous plan ended, by candidate id. */
  results: ReadonlyMap<string, CandidateResult>;
  /** The steps run so far in this task, oldest first. */
  history: readonly StepOutcome[];
  signal?: AbortSignal;
}

export interface SlowMind {
  readonly name: string;
  /** One-off lazy set-up (network stack, schema compilation) done ahead of time, before the robot is armed. */
  warmUp?(): Promise<void>;
  /** A new task: forget the previous conversation. */
  reset(task: string): void;
  plan(ctx: PlanContext): Promise<Plan>;
}

/** The slow mind gave no valid plan (after its repairs), or could not be reached. */
export class PlannerError extends Error {
  constructor(message: string, readonly rejections: string[] = []) {
    super(message);
    this.name = 'PlannerError';
  }
}

export interface LlmSlowMindOptions {
  client: ChatClient;
  registry: SkillRegistry;
  /** Skills offered as tools (default: all registered); the robot's own list, intersected with the registry. */
  skills?: readonly string[];
  limits?: ReplyLimits;
  /** Replies that may follow a rejected one, for repair. */
  repair_attempts?: number;
  /** Messages kept after the system prompt and the task (older rounds are dropped whole). */
  history_messages?: number;
  /** Each rejection, retry and failure, one line each. */
  log?: (line: string) => void;
}

const ECHO_ARGS_CHARS = 512;

export class LlmSlowMind implements SlowMind {
  readonly name: string;
  readonly tools: ToolDef[];
  private readonly offered: Set<string>;
  private messages: ChatMessage[] = [];
  private pending: string[] = [];
  private readonly limits: ReplyLimits;
  private readonly log: (line: string) => void;

  constructor(private readonly o: LlmSlowMindOptions) {
    this.name = `llm:${o.client.config.model}`;
    const names = (o.skills ?? o.registry.names()).filter((n) => o.registry.has(n));
    this.offered = new Set(names);
    this.tools = plannerTools(o.registry, names);
    this.limits = o.limits ?? DEFAULT_LIMITS;
    this.log = o.log ?? (() => {});
    o.client.onLog = this.log;
  }

  async warmUp(): Promise<void> {
    await warmUpFetch();
    // Every skill's schema parses once, so its first real use is not also its compilation.
    validateReply({ content: null, tool_calls: this.tools.map((t, i) => ({ id: `w${i}`, name: t.function.name, arguments: '{}' })), finish_reason: null, bytes: 0 }, this.o.registry, this.offered, { ...this.limits, max_tool_calls: 1000 });
  }

  reset(task: string): void {
    this.messages = [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: taskMessage(task) },
    ];
    this.pending = [];
  }

  /** The conversation as sent: system + task + the most recent rounds, cut at a user message so no tool result loses its call. */
  private window(): ChatMessage[] {
    const keep = this.o.history_messages ?? 40;
    const rest = this.messages.slice(2);
    if (rest.length <= keep) return this.messages;
    let i = rest.length - keep;
    while (i < rest.length && rest[i]!.role !== 'user') i++;
    return [...this.messages.slice(0, 2), ...rest.slice(i)];
  }

  async plan(ctx: PlanContext): Promise<Plan> {
    const t0 = performance.now();
    if (this.messages.length === 0) this.reset(ctx.task);
    // Every call of the previous reply gets its result, as the wire format requires, before the new request.
    for (const id of this.pending) this.messages.push({ role: 'tool', tool_call_id: id, content: toolResultMessage(ctx.results.get(id) ?? { status: 'not_reached' }) });
    this.pending = [];
    this.messages.push({ role: 'user', content: planRequestMessage(ctx.reason, summarize(ctx.snapshot, ctx.memory, ctx.history)) });

    let llm_ms = 0;
    let requests = 0;
    const rejections: string[] = [];
    const attempts = 1 + (this.o.repair_attempts ?? 2);
    for (let a = 0; a < attempts; a++) {
      let res;
      requests++;
      try {
        res = await this.o.client.complete(this.window(), this.tools, ctx.signal ? { signal: ctx.signal } : {});
      } catch (e) {
        if (e instanceof LlmError && e.kind === 'oversized') {
          const why = `${e.message}: keep replies short (a few tool calls, little text)`;
          rejections.push(why);
          this.log(`LLM reply rejected: ${why}`);
          this.messages.push({ role: 'user', content: `Your previous reply was rejected and nothing ran: ${why}. Reply again.` });
          continue;
        }
        if (e instanceof LlmError) throw new PlannerError(`the LLM could not be asked: ${e.message}`, rejections);
        throw e;
      }
      llm_ms += res.wait_ms;
      const v = validateReply(res.reply, this.o.registry, this.offered, this.limits);
      if (v.ok) {
        const tool_calls: WireToolCall[] = res.reply.tool_calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
        this.messages.push({ role: 'assistant', content: res.reply.content, ...(tool_calls.length ? { tool_calls } : {}) });
        this.pending = tool_calls.map((c) => c.id);
        return {
          steps: v.steps,
          message: v.message,
          finish: v.finish,
          source: this.name,
          snapshot: ctx.snapshot,
          timing: { total_ms: performance.now() - t0, llm_ms, requests, rejected: rejections.length },
        };
      }
      const why = [...v.errors, ...v.call_errors.map((c) => `call ${c.id} (${c.name}): ${c.error}`)];
      rejections.push(why.join('; '));
      this.log(`LLM reply rejected (${a + 1}/${attempts}): ${why.join('; ')}`);
      if (v.errors.length) {
        // A flood or an empty reply is not echoed back: it would only fill the context.
        this.messages.push({ role: 'user', content: `Your previous reply was rejected and nothing ran: ${v.errors.join('; ')}. Reply again with valid tool calls.` });
      } else {
        const bad = new Map(v.call_errors.map((c) => [c.id, c.error]));
        const calls: WireToolCall[] = res.reply.tool_calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name.slice(0, 64), arguments: echoArgs(c.arguments) } }));
        this.messages.push({ role: 'assistant', content: res.reply.content?.slice(0, this.limits.max_content_chars) ?? null, tool_calls: calls });
        for (const c of calls) {
          const err = bad.get(c.id);
          this.messages.push({
            role: 'tool',
            tool_call_id: c.id,
            content: err ? `rejected: ${err}` : 'not run: the reply was rejected as a whole because another call in it was invalid',
          });
        }
        this.messages.push({ role: 'user', content: 'Nothing from that reply ran. Reply again with the whole plan, corrected.' });
      }
    }
    throw new PlannerError(`the LLM gave no valid plan in ${attempts} replies; last: ${rejections.at(-1)}`, rejections);
  }
}

/** Arguments as echoed back in the history: valid JSON objects only (some servers' chat templates parse them), and short. */
function echoArgs(text: string): string {
  try {
    const v = JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && text.length <= ECHO_ARGS_CHARS) return text;
  } catch {
    // fall through
  }
  return '{}';
}
