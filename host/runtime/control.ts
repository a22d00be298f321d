// What the outside world (MQTT bridge, planner, CLI) may ask of a running robot, and what it hears back: one interface, implemented by RobotRuntime.
import type { EventEmitter } from 'node:events';
import type { LoopEventMessage, LoopStatsMessage } from '../executor/commands.ts';
import type { LinkStats } from '../link/session.ts';
import type { McuState } from '../link/telemetry.ts';
import type { Affordance } from '../skills/contract.ts';
import type { CorrectionLogEntry } from '../skills/correction-log.ts';
import type { Observation } from '../skills/observation.ts';
import type { SkillStatus } from '../skills/status.ts';

/** Joint-space teleop command (rad for position joints, rad/s for velocity joints); the envelope still bounds it. */
export interface TeleopCommand {
  position_rad?: Record<string, number>;
  velocity_radps?: Record<string, number>;
  /** Who is driving (an MQTT username, "keyboard"...): logged, and shown on the dashboard. */
  operator: string;
}

export interface SkillInfo {
  name: string;
  description: string;
  /** JSON Schema of the args (from zod), for tool-calling planners and the dashboard. */
  args_schema: unknown;
  /** Affordance in the current state for the args given (or with no args when the skill needs none). */
  affordance: Affordance | null;
}

/** A compact picture of the robot now: what the dashboard's state panel and the planner's prompt show. */
export interface RobotSnapshot {
  robot: string;
  /** [ms] wall clock, Date.now() */
  at_ms: number;
  mode: 'idle' | 'skill' | 'teleop' | 'estop';
  estop: { latched: boolean; reason: string | null };
  /** Joints whose stall latch turned their torque off (until clearEstop), with the envelope's reason. */
  stalled: { joint: string; reason: string }[];
  armed: Record<string, boolean>;
  observation: Observation;
  /** Joint setpoints the envelope last sent (rad / rad/s), by joint name. */
  setpoints: Record<string, number>;
  active_skill: { request_id: string | null; skill: string; args: unknown; elapsed_s: number; progress: number | null } | null;
  /** The task the planner is working on, if any (corrections are logged with it). */
  task: string | null;
  /** Last few skill outcomes that were not 'done', newest last. */
  recent_failures: { skill: string; state: string; reason: string }[];
}

export type RobotEvents = {
  /** Every envelope output as it goes to the MCUs (loop rate), by joint index of RobotRuntime.joints. Do not keep the array. */
  setpoints: [value: Float64Array, torque_enabled: boolean[]];
  /** Every MCU telemetry frame, per node (the bridge decimates). */
  telemetry: [node: string, state: McuState];
  skill_status: [SkillStatus];
  /** Executor cadence, every stats period. */
  loop_stats: [LoopStatsMessage];
  /** E-stop latched/cleared, stall, tick errors. */
  loop_event: [LoopEventMessage];
  /** A correction was applied (and logged with its context). */
  correction: [CorrectionLogEntry];
  /** Anything an operator should read that is not one of the above (MCU faults, link drops, refusals). */
  notice: [{ level: 'info' | 'warn' | 'error'; source: string; text: string }];
};

export interface RobotControl extends EventEmitter<RobotEvents> {
  readonly robotId: string;
  /** Runs one macro action (a skill) to its end, preempting whatever runs now. Throws (with the reason) when refused. */
  runSkill(name: string, args: unknown): Promise<SkillStatus>;
  /** Cancels the running skill; the robot holds. */
  cancel(reason: string): Promise<void>;
  /** A language correction, applied at the next tick and logged with its context. Throws listing accepted forms when unknown. */
  correct(phrase: string, source: string): Promise<CorrectionLogEntry>;
  /** Latches the e-stop at the next tick (every joint to its safe default) until clearEstop(). */
  estop(reason: string): Promise<void>;
  clearEstop(): Promise<void>;
  /** Teleop takeover: cancels the running skill; the command only acts while heartbeats keep coming (teleop source). */
  teleop(cmd: TeleopCommand): Promise<void>;
  /** Ends teleop: the robot holds where it is. */
  releaseTeleop(): Promise<void>;
  /** `decidedBy` (who, through what) is logged when this re-arms after a watchdog trip or a reconnect. */
  arm(decidedBy?: string): Promise<void>;
  disarm(): Promise<void>;
  /** Sets (or clears) the task text that corrections are logged with. */
  setTask(task: string | null): void;
  snapshot(): RobotSnapshot;
  /** The skills the robot has, with their affordances now. */
  skills(argsBySkill?: Record<string, unknown>): SkillInfo[];
  linkHealth(): Record<string, LinkStats>;
}
