// The built-in meta-skills of the reference robot, in the order a planner sees them.
import type { AnySkill } from '../contract.ts';
import { grasp, home, reach, release } from './arm-skills.ts';
import { drive_to, move_base, turn } from './base.ts';
import { hold, wait } from './idle.ts';

export const BUILTIN_SKILLS: readonly AnySkill[] = [move_base, turn, drive_to, reach, grasp, release, home, hold, wait];
