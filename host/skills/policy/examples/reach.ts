// Skill package: the shipped learned reach (./reach/, trained by host/demos/train-policy.ts); `loadSkillPackages(registry, 'host/skills/policy/examples')` registers it as `reach_learned`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicySkill } from '../skill.ts';

export const REACH_POLICY_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reach');

// Top-level await: a package is imported once, and the model must be loaded (and checked) before its skill exists.
export default [await loadPolicySkill(REACH_POLICY_DIR)];
