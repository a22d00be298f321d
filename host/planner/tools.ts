// The tools the LLM is offered: every skill (its name, description and JSON Schema args, plus two planning fields) and finish_task.
import type { SkillRegistry } from '../skills/registry.ts';
import type { ToolDef } from './wire.ts';

/** Planning fields every skill tool accepts besides the skill's own args; stripped before the skill's schema sees the args. */
export const STEP_FIELD = 'plan_step';
export const PREFERENCE_FIELD = 'preference';
/** The one tool that is not a skill: the LLM says the task is over (or cannot be done). */
export const FINISH_TOOL = 'finish_task';

export const MAX_PLAN_STEP = 32;

const planningProps = {
  [STEP_FIELD]: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_PLAN_STEP,
    description: 'Planning: the step (1 = next) this call is for. Calls with the same plan_step are alternatives; omitted = the step after the previous call.',
  },
  [PREFERENCE_FIELD]: {
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 1,
    description: 'Planning: how useful you think this call is for its step (0-1, default 1). The robot multiplies it by how feasible the call is now.',
  },
};

const finishTool: ToolDef = {
  type: 'function',
  function: {
    name: FINISH_TOOL,
    description:
      'Say the task is over: success true when it is done, false when it cannot be done (say why). Alone: now. After skill calls: once they have all succeeded.',
    parameters: {
      type: 'object',
      properties: { success: { type: 'boolean' }, message: { type: 'string', maxLength: 500, description: 'one or two sentences for the user' } },
      required: ['success', 'message'],
      additionalProperties: false,
    },
  },
};

/** Tool definitions for these skills (all registered ones by default). Throws when a skill's args collide with a planning field. */
export function plannerTools(registry: SkillRegistry, names: readonly string[] = registry.names()): ToolDef[] {
  const offered = new Set(names);
  const defs: ToolDef[] = [];
  for (const t of registry.tools()) {
    if (!offered.has(t.name)) continue;
    if (t.name === FINISH_TOOL) throw new Error(`skill "${FINISH_TOOL}" collides with the planner's own tool of that name`);
    const p = t.parameters as { properties?: Record<string, unknown>; $schema?: string };
    for (const f of [STEP_FIELD, PREFERENCE_FIELD])
      if (p.properties && f in p.properties) throw new Error(`skill "${t.name}" has an arg "${f}", which the planner reserves for planning`);
    const { $schema: _drop, ...schema } = p;
    defs.push({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: { ...schema, type: 'object', properties: { ...(p.properties ?? {}), ...planningProps } } },
    });
  }
  defs.push(finishTool);
  return defs;
}
