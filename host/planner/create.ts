// Picks the slow mind: the LLM when one is configured, else the offline rule planner; and the tools offered are the robot's skills that the local registry can validate.
import type { SkillRegistry } from '../skills/registry.ts';
import type { LlmConfig } from './config.ts';
import { ChatClient } from './llm-client.ts';
import type { PlannerRobot } from './robot.ts';
import { RulePlanner } from './rule-planner.ts';
import { LlmSlowMind, type SlowMind } from './slow-mind.ts';

export interface SlowMindChoice {
  slow: SlowMind;
  /** One line for the user: which planner, where. */
  describe: string;
  /** Robot skills the local registry does not know: not offered, since their args could not be validated here. */
  unvalidated: string[];
}

export function createSlowMind(o: { config: LlmConfig | null; registry: SkillRegistry; robot: PlannerRobot; log?: (line: string) => void }): SlowMindChoice {
  const robotSkills = o.robot.skills().map((s) => s.name);
  const unvalidated = robotSkills.filter((n) => !o.registry.has(n));
  if (!o.config) return { slow: new RulePlanner(), describe: 'offline rule planner (no LLM configured)', unvalidated };
  const slow = new LlmSlowMind({
    client: new ChatClient(o.config),
    registry: o.registry,
    skills: robotSkills.filter((n) => o.registry.has(n)),
    ...(o.log ? { log: o.log } : {}),
  });
  return { slow, describe: `LLM ${o.config.model} at ${o.config.base_url}${o.config.stream ? ' (streaming)' : ''}`, unvalidated };
}
