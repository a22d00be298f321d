// What a RobotRuntime is built from: the robot's sessions, calibration, envelope, geometry and perception, and how its loop runs.
import type { Calibration } from '../calibration/schema.ts';
import type { EnvelopeConfigInput } from '../executor/envelope-config.ts';
import type { NodeLink } from '../link/node-link.ts';
import type { RobotGeometry } from '../skills/geometry.ts';
import type { PerceptionSource } from '../world/perception.ts';

export interface RuntimeOptions {
  calibration: Calibration;
  sessions: Map<string, NodeLink>;
  /** The robot's safety envelope, already narrowed to the calibration (see limits.ts envelopeWithCalibration). */
  envelope: EnvelopeConfigInput;
  /** The robot's geometry (from its robot file): what affordances are judged with. */
  geometry: RobotGeometry;
  /** Where the base is and what objects there are: the tabletop world, odometry only, a camera... */
  perception: PerceptionSource;
  /** [Hz] executor rate (500 by default, up to 1000). */
  rate_hz?: number;
  /** [Hz] how often perception (the objects) reaches the skills. */
  perception_hz?: number;
  /**
   * Sleep-only timing (no spinning before each deadline). For emulation: the emulated MCUs need the cores that
   * spinning would take, and a starved host thread trips their link watchdogs.
   */
  sleep_only?: boolean;
  /** SCHED_FIFO priority for the executor thread (see LoopOptions.rt_priority); absent: default scheduling. */
  rt_priority?: number;
  /** Unprivileged isolation of the executor thread (see LoopOptions.isolation); ignored with rt_priority. */
  loop_isolation?: boolean;
  /**
   * A CPU of its own for the executor thread (see LoopOptions.cpu); 'none' or absent: affinity left alone. startRobot
   * gives 'auto' when every node is a real board (loopCpuFor).
   */
  loop_cpu?: number | 'auto' | 'none';
  /** The robot's id on MQTT and in logs (default: the calibration's robot name). */
  robot_id?: string;
  /** Corrections are appended here (JSON lines) with their context; absent: not persisted. */
  correction_log?: string;
  /** Skills that are learned policies (the recording tap says 'policy' while one drives); those of skills_dir are added. */
  policy_skills?: readonly string[];
  /**
   * A folder of skill packages (skill modules, and the skill folders `ganglion train` writes): loaded at start beside
   * the built-ins, in the loop worker that runs them and here for the planner's tools and affordances.
   */
  skills_dir?: string;
}
