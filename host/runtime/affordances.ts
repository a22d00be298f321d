// Every skill of a registry with its affordance in an observation: preconditions first, then the skill's own value; no guess for bad or missing args.
import type { RobotGeometry } from '../skills/geometry.ts';
import type { Observation } from '../skills/observation.ts';
import type { SkillRegistry, ToolSpec } from '../skills/registry.ts';
import type { SkillInfo } from './control.ts';

export function skillInfos(registry: SkillRegistry, tools: readonly ToolSpec[], obs: Observation, geometry: RobotGeometry, argsBySkill: Record<string, unknown>): SkillInfo[] {
  return tools.map((t) => {
    const skill = registry.get(t.name);
    const parsed = skill.args.safeParse(argsBySkill[t.name] ?? {});
    let affordance: SkillInfo['affordance'] = null;
    if (parsed.success) {
      try {
        const failed = skill.preconditions.find((p) => !p.holds(obs, parsed.data));
        affordance = failed ? { value: 0, reason: `precondition failed: ${failed.text}` } : skill.affordance(obs, parsed.data, geometry);
      } catch (e) {
        affordance = { value: 0, reason: `affordance threw: ${(e as Error).message}` };
      }
    }
    return { name: t.name, description: t.description, args_schema: t.parameters, affordance };
  });
}
