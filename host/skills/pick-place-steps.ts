// The pick-and-place sequence as data: which skills, in which order, with which arguments, for one block and for the bin. The scripted task (world/kinematic/pick-place.ts) and the rule planner both use it.

/** Puts the block 0.19 m ahead of the shoulder: mid-way in the arm's 0.16-0.22 m reach. */
export const APPROACH_STANDOFF_M = 0.24;

/** What a step's arguments are computed from: the perceived block or bin. */
export interface StepTarget {
  id: string;
  x_m: number;
  y_m: number;
}

export interface SequenceStep {
  skill: string;
  args: (target: StepTarget) => Record<string, unknown>;
  /** The rest of the sequence is pointless when this step does not end done (the arm cannot reach from elsewhere). */
  stop_on_failure?: boolean;
}

const driveTo: SequenceStep = { skill: 'drive_to', args: (t) => ({ x_m: t.x_m, y_m: t.y_m, standoff_m: APPROACH_STANDOFF_M }), stop_on_failure: true };
const reach: SequenceStep = { skill: 'reach', args: (t) => ({ x_m: t.x_m, y_m: t.y_m }) };

/** Pick one block: drive up to it, reach over it, grasp it. */
export const PICK_STEPS: readonly SequenceStep[] = [driveTo, reach, { skill: 'grasp', args: (t) => ({ object_id: t.id }) }];

/** Place what is held: drive up to the bin, reach over it, release. */
export const PLACE_STEPS: readonly SequenceStep[] = [driveTo, reach, { skill: 'release', args: () => ({}) }];
