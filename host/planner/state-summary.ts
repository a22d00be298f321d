// The compact state the slow mind sees with every request: pose, held object, known objects, active skill, recent failures, retrieved corrections.
import type { RobotSnapshot } from '../runtime/control.ts';
import type { MemoryHit } from './memory.ts';

/** Keeps the prompt small on a cluttered table: the nearest objects only. */
export const MAX_OBJECTS = 24;
const MAX_LABEL = 80;

const mm = (v: number) => Math.round(v * 1000) / 1000;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}...` : s);

export interface StateSummary {
  pose: { x_m: number; y_m: number; heading_rad: number };
  held_id: string | null;
  objects: { id: string; label: string; kind: string; x_m: number; y_m: number; size_m?: number; distance_m: number }[];
  active_skill: { skill: string; elapsed_s: number } | null;
  recent_failures: { skill: string; state: string; reason: string }[];
  /** The last few steps the robot ran in this task, with how they ended. */
  recent_steps: StepOutcome[];
  remembered_corrections: { phrase: string; task: string | null; skill: string | null; outcome: string; source: string; similarity: number }[];
}

export interface StepOutcome {
  skill: string;
  args: Record<string, unknown>;
  state: string;
  reason?: string;
}

export function summarize(s: RobotSnapshot, memory: readonly MemoryHit[] = [], recent: readonly StepOutcome[] = []): StateSummary {
  const b = s.observation.base;
  const objects = s.observation.objects
    .map((o) => ({
      id: o.id,
      label: clip(o.label, MAX_LABEL),
      kind: o.kind,
      x_m: mm(o.x_m),
      y_m: mm(o.y_m),
      ...(o.size_m !== undefined ? { size_m: mm(o.size_m) } : {}),
      distance_m: mm(Math.hypot(o.x_m - b.x_m, o.y_m - b.y_m)),
    }))
    .sort((p, q) => p.distance_m - q.distance_m)
    .slice(0, MAX_OBJECTS);
  return {
    pose: { x_m: mm(b.x_m), y_m: mm(b.y_m), heading_rad: mm(b.heading_rad) },
    held_id: s.observation.held_id,
    objects,
    active_skill: s.active_skill ? { skill: s.active_skill.skill, elapsed_s: mm(s.active_skill.elapsed_s) } : null,
    recent_failures: s.recent_failures.slice(-5).map((f) => ({ skill: f.skill, state: f.state, reason: clip(f.reason, 300) })),
    recent_steps: recent.slice(-5).map((r) => ({ skill: r.skill, args: r.args, state: r.state, ...(r.reason ? { reason: clip(r.reason, 300) } : {}) })),
    remembered_corrections: memory.map((h) => ({
      phrase: clip(h.entry.phrase, 200),
      task: h.entry.task === null ? null : clip(h.entry.task, 200),
      skill: h.entry.skill,
      outcome: h.entry.outcome.task ?? h.entry.outcome.step ?? 'unknown',
      source: h.entry.source,
      similarity: Math.round(h.score * 100) / 100,
    })),
  };
}
