// Idle skills: hold (keep the pose until cancelled or for duration_s) and wait (hold for a number of seconds).
import { z } from 'zod';
import { defineSkill, type SkillContext } from '../contract.ts';
import { holdArmShifted } from './arm-skills.ts';
import { armAction, measuredArm, type ArmSetpoint } from './common.ts';

interface HoldParams {
  sp: ArmSetpoint;
  hold: ArmSetpoint;
  duration_s: number;
}

const holdStart = (ctx: SkillContext, duration_s: number): HoldParams => ({ sp: measuredArm(ctx.obs), hold: measuredArm(ctx.obs), duration_s });

export const hold = defineSkill({
  name: 'hold',
  description: 'Stop the base and keep the arm and gripper where they are, until cancelled (or for duration_s). Nudge corrections move the gripper tip.',
  args: z.strictObject({ duration_s: z.number().positive().max(3600).optional().describe('[s] end after this long; absent = until cancelled') }),
  preconditions: [],
  affordance: () => ({ value: 1 }),
  // A hold with no duration ends only by cancellation: that is its purpose, not a missing timeout.
  timeout_s: (a) => (a.duration_s === undefined ? Infinity : a.duration_s + 1),
  start: (a, ctx) => holdStart(ctx, a.duration_s ?? Infinity),
  step(_s, p, ctx) {
    holdArmShifted(p.sp, p.hold, ctx);
    return armAction(p.sp);
  },
  done: (p, ctx) => ctx.elapsed_s >= p.duration_s,
  failed: () => null,
});

export const wait = defineSkill({
  name: 'wait',
  description: 'Pause for seconds with the base stopped and the arm held (e.g. to let perception settle).',
  args: z.strictObject({ seconds: z.number().positive().max(600).describe('[s] how long to wait') }),
  preconditions: [],
  affordance: () => ({ value: 1 }),
  timeout_s: (a) => a.seconds + 1,
  start: (a, ctx) => holdStart(ctx, a.seconds),
  step(_s, p, ctx) {
    holdArmShifted(p.sp, p.hold, ctx);
    return armAction(p.sp);
  },
  done: (p, ctx) => ctx.elapsed_s >= p.duration_s,
  progress: (p, ctx) => ctx.elapsed_s / p.duration_s,
  failed: () => null,
});
