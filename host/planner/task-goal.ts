// A task's own done predicate on the perceived state, from the user's words (the forms the rule planner knows): what a success claim is checked against.
import type { RobotSnapshot } from '../runtime/control.ts';
import type { PerceivedObject } from '../skills/observation.ts';
import { tokens } from './retrieval.ts';
import { parseCommand } from './rule-planner.ts';

export interface GoalCheck {
  done: boolean;
  /** What was checked and what was seen, in one sentence. */
  why: string;
}

/** A checkable goal, pinned to the objects the task named at its start; null: the task's words name no checkable goal. */
export interface TaskGoal {
  describe: string;
  check(now: RobotSnapshot): GoalCheck;
}

const isBin = (o: PerceivedObject) => o.kind === 'bin' || tokens(o.label).includes('bin');
const blocks = (s: RobotSnapshot) => s.observation.objects.filter((o) => !isBin(o));
const FILLER = new Set(['block', 'blocks', 'cube', 'object', 'one', 'it', 'up']);

/** The perceived block the words name (its id, or every word in its label). */
function named(s: RobotSnapshot, words: string[]): PerceivedObject | undefined {
  const want = words.filter((w) => !FILLER.has(w));
  // "the block": the nearest one, as the rule planner reads it.
  const base = s.observation.base ?? { x_m: 0, y_m: 0 };
  if (want.length === 0) return blocks(s).sort((a, b) => Math.hypot(a.x_m - base.x_m, a.y_m - base.y_m) - Math.hypot(b.x_m - base.x_m, b.y_m - base.y_m))[0];
  return blocks(s).find((o) => (want.length === 1 && o.id.toLowerCase() === want[0]) || (want.length > 0 && want.every((w) => new Set(tokens(o.label)).has(w))));
}

export function taskGoal(task: string, start: RobotSnapshot): TaskGoal | null {
  const intent = parseCommand(task);
  if (!intent) return null;
  if (intent.kind === 'put' && intent.target === 'all') {
    return {
      describe: 'no block perceived outside the bin, nothing held',
      check: (s) => {
        const left = blocks(s).map((o) => o.id);
        const held = s.observation.held_id ?? null;
        return left.length === 0 && held === null
          ? { done: true, why: 'no block is perceived outside the bin and nothing is held' }
          : { done: false, why: `${left.length ? `still perceived outside the bin: ${left.join(', ')}` : ''}${left.length && held ? '; ' : ''}${held ? `still held: ${held}` : ''}` };
      },
    };
  }
  if (intent.kind === 'put' || intent.kind === 'pick') {
    const words = intent.target as string[];
    const target = named(start, words) ?? (start.observation.held_id ? { id: start.observation.held_id } : undefined);
    if (!target) return { describe: `a block matching "${words.join(' ')}"`, check: () => ({ done: false, why: `no perceived block matched "${words.join(' ')}" when the task started` }) };
    if (intent.kind === 'pick') {
      return {
        describe: `${target.id} held`,
        check: (s) => (s.observation.held_id === target.id ? { done: true, why: `${target.id} is held` } : { done: false, why: `${target.id} is not held (held: ${s.observation.held_id ?? 'nothing'})` }),
      };
    }
    return {
      describe: `${target.id} in the bin (no longer perceived on the table, not held)`,
      check: (s) => {
        if (s.observation.held_id === target.id) return { done: false, why: `${target.id} is still held` };
        const o = s.observation.objects.find((x) => x.id === target.id);
        return o ? { done: false, why: `${target.id} is still perceived on the table at (${o.x_m.toFixed(2)}, ${o.y_m.toFixed(2)}) m` } : { done: true, why: `${target.id} is no longer perceived on the table and not held` };
      },
    };
  }
  if (intent.kind === 'release') {
    return { describe: 'nothing held', check: (s) => (s.observation.held_id ? { done: false, why: `${s.observation.held_id} is still held` } : { done: true, why: 'nothing is held' }) };
  }
  return null;
}
