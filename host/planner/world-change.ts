// Has the world changed under the plan? New objects, or an object the remaining steps refer to that moved or vanished: the fast mind then replans.
import type { RobotSnapshot } from '../runtime/control.ts';
import type { PlanStep } from './plan.ts';

/** An object "is" a step's target point when it lies this close to the step's x_m/y_m. */
const TARGET_MATCH_M = 0.04;

/** A sentence saying what changed, or null. moved_m is well above perception noise so noise alone does not replan. */
export function worldChange(before: RobotSnapshot, now: RobotSnapshot, remaining: readonly PlanStep[], moved_m = 0.05): string | null {
  const prev = new Map(before.observation.objects.map((o) => [o.id, o]));
  const cur = new Map(now.observation.objects.map((o) => [o.id, o]));
  for (const id of cur.keys()) if (!prev.has(id)) return `object "${id}" appeared`;
  const refs = new Set<string>();
  for (const st of remaining)
    for (const c of st.candidates) {
      const id = c.args.object_id;
      if (typeof id === 'string') refs.add(id);
      const x = c.args.x_m;
      const y = c.args.y_m;
      if (typeof x === 'number' && typeof y === 'number')
        for (const o of prev.values()) if (Math.hypot(o.x_m - x, o.y_m - y) < TARGET_MATCH_M) refs.add(o.id);
    }
  const heldBefore = before.observation.held_id;
  const heldNow = now.observation.held_id;
  for (const id of refs) {
    // A held object moves with the gripper: that is the plan working, not the world changing.
    if (id === heldNow || id === heldBefore) continue;
    const a = prev.get(id);
    const b = cur.get(id);
    if (a && !b) return `object "${id}" is no longer perceived`;
    if (a && b) {
      const d = Math.hypot(a.x_m - b.x_m, a.y_m - b.y_m);
      if (d > moved_m) return `object "${id}" moved ${d.toFixed(3)} m`;
    }
  }
  return null;
}
