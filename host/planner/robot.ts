// The narrow robot interface the planner drives: part of RobotControl, so the same planner runs on the live runtime, over MQTT, or on the kinematic sim.
import type { RobotControl, RobotEvents } from '../runtime/control.ts';

/**
 * What the planner needs of a robot: run a macro action, cancel it, see the state, ask affordances,
 * name the task, and hear corrections. Nothing here can bypass the envelope: every action is a skill
 * run that the robot's own runner validates again.
 */
export interface PlannerRobot extends Pick<RobotControl, 'robotId' | 'runSkill' | 'cancel' | 'snapshot' | 'skills' | 'setTask'> {
  on<K extends keyof RobotEvents>(event: K, listener: (...args: RobotEvents[K]) => void): unknown;
  off<K extends keyof RobotEvents>(event: K, listener: (...args: RobotEvents[K]) => void): unknown;
}

/** Compile-time check that the runtime's interface satisfies the planner's. */
export const asPlannerRobot = (r: RobotControl): PlannerRobot => r;
