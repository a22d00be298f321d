// A scripted "LLM" that plans pick-and-place from the state in the request, like a model that knows the task but not the arm's reach: the benchmark's stand-in for a real endpoint.
import { readDataBlocks } from '../../../host/planner/data-block.ts';
import type { StateSummary } from '../../../host/planner/state-summary.ts';
import type { RecordedRequest, Responder, ScriptedCall, ScriptedReply } from './scripted-llm.ts';

const STANDOFF_M = 0.24;

/** The state of the latest planning request (the last data block of the last user message). */
export function requestState(req: RecordedRequest): { state: StateSummary; reason: string } | null {
  const users = req.body.messages.filter((m) => m.role === 'user' && typeof m.content === 'string');
  for (let i = users.length - 1; i >= 0; i--) {
    const blocks = readDataBlocks(users[i]!.content!);
    const last = blocks.at(-1) as { state?: StateSummary; reason?: string } | undefined;
    if (last?.state) return { state: last.state, reason: last.reason ?? '' };
  }
  return null;
}

/** Tool results since the last assistant reply, parsed (each is a data block). */
function lastResults(req: RecordedRequest): { status?: string; reason?: string }[] {
  const ms = req.body.messages;
  const out: { status?: string; reason?: string }[] = [];
  for (let i = ms.length - 1; i >= 0 && ms[i]!.role !== 'assistant'; i--) {
    if (ms[i]!.role === 'tool' && typeof ms[i]!.content === 'string') {
      const b = readDataBlocks(ms[i]!.content!)[0];
      if (b && typeof b === 'object') out.push(b as { status?: string; reason?: string });
    }
  }
  return out;
}

/**
 * "Put all blocks in the bin", one block per plan. Each approach step offers two candidates: reaching
 * for the target straight away (preferred, 0.6: the model does not know the arm's 0.16-0.22 m reach)
 * and driving up to it first (0.4). Grounding picks whichever is feasible; without it the reach is
 * tried and refused. After a failure the model, like a real one reading the tool results, prefers
 * the drive for its next plan.
 */
export function sayCanModel(): Responder {
  return (req) => {
    const r = requestState(req);
    if (!r) return { content: 'I see no state.', tool_calls: [{ name: 'finish_task', arguments: { success: false, message: 'no state in the request' } }] };
    const { state } = r;
    const burnt = lastResults(req).some((x) => x.status === 'refused' || x.status === 'failed' || x.status === 'infeasible');
    const pReach = burnt ? 0.3 : 0.6;
    const bin = state.objects.find((o) => o.kind === 'bin');
    const blocks = state.objects.filter((o) => o.kind === 'block' && o.id !== state.held_id);
    const approach = (x: number, y: number, step: number): ScriptedCall[] => [
      { name: 'reach', arguments: { x_m: x, y_m: y, plan_step: step, preference: pReach } },
      { name: 'drive_to', arguments: { x_m: x, y_m: y, standoff_m: STANDOFF_M, plan_step: step, preference: 1 - pReach } },
    ];
    let calls: ScriptedCall[];
    if (!bin) return { tool_calls: [{ name: 'finish_task', arguments: { success: false, message: 'I cannot see the bin.' } }] };
    if (state.held_id !== null) {
      calls = [...approach(bin.x_m, bin.y_m, 1), { name: 'reach', arguments: { x_m: bin.x_m, y_m: bin.y_m, plan_step: 2 } }, { name: 'release', arguments: { plan_step: 3 } }];
    } else if (blocks.length) {
      const b = blocks[0]!; // the summary lists objects nearest first
      calls = [
        ...approach(b.x_m, b.y_m, 1),
        { name: 'reach', arguments: { x_m: b.x_m, y_m: b.y_m, plan_step: 2 } },
        { name: 'grasp', arguments: { object_id: b.id, plan_step: 3 } },
        ...approach(bin.x_m, bin.y_m, 4),
        { name: 'reach', arguments: { x_m: bin.x_m, y_m: bin.y_m, plan_step: 5 } },
        { name: 'release', arguments: { plan_step: 6 } },
      ];
    } else {
      calls = [
        { name: 'home', arguments: {} },
        { name: 'finish_task', arguments: { success: true, message: 'Every block is in the bin.' } },
      ];
    }
    const reply: ScriptedReply = { content: null, tool_calls: calls };
    return reply;
  };
}
