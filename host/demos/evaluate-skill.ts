// Scores a learned skill folder on held-out seeded reach scenes (kinematic robot) and records the rate in its policy.json: the skill's affordance.
import path from 'node:path';
import { evalSeeds, scoreReach, type ReachScore } from './train-eval.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { POLICY_FILE, readPolicyManifest } from '../skills/policy/model-dir.ts';
import { loadPolicySkill } from '../skills/policy/skill.ts';
import { createRegistry } from '../skills/registry.ts';

/** Loads dir as a skill (what ships is what is measured), scores it on `scenes` reach tasks, writes evaluation into policy.json. */
export async function evaluateSkill(dir: string, scenes: number): Promise<ReachScore> {
  const registry = createRegistry();
  const skill = await loadPolicySkill(dir);
  registry.register(skill, dir);
  const s = scoreReach(registry, skill.name, evalSeeds(scenes));
  const file = path.join(dir, POLICY_FILE);
  const m = readPolicyManifest(dir);
  writeFileAtomic(file, `${JSON.stringify({ ...m, evaluation: { scenes: s.scenes, success_rate: s.success_rate } }, null, 2)}\n`);
  return s;
}
