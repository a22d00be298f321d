// The one robot start-up: calibration gate, each node's MCU and session, the envelope and geometry of the robot file given, perception, and the runtime (started, not armed).
import { calibrationForRun } from '../calibration/gate.ts';
import { calibratedNode } from '../calibration/require.ts';
import type { Calibration } from '../calibration/schema.ts';
import { allSimulated, connectNodes, openLinks, type NodePlan, type RobotLinks, type RobotNodeLink } from '../boot/links.ts';
import type { WorkerNode } from '../emulator/worker-node.ts';
import { envelopeFor, REFERENCE_LIMITS, type EnvelopeConfigInput } from '../executor/envelope-config.ts';
import { describeIsolation } from '../executor/isolation.ts';
import { describeAffinity } from '../executor/affinity.ts';
import { describeRealtime } from '../executor/realtime.ts';
import type { Robot } from '../hw/robot.ts';
import { geometryFor, type RobotGeometry } from '../skills/geometry.ts';
import { wheelJoints, type WheelJoints } from '../world/odometry.ts';
import type { PerceptionSource } from '../world/perception.ts';
import { bindFirmataNodes } from './firmata-nodes.ts';
import { envelopeWithCalibration } from './limits.ts';
import { RobotRuntime } from './runtime.ts';
import type { RuntimeOptions } from './runtime-options.ts';

/** What perception is built from: the robot's geometry and the joints its wheels are. */
export interface PerceptionInputs {
  geometry: RobotGeometry;
  wheels: WheelJoints;
}

export interface StartRobotOptions {
  robot: Robot;
  /** Where each node runs (boot/links.ts planNodes). */
  plans: NodePlan[];
  /**
   * The runtime on top of the sessions; null: sessions only (the motion demo drives the MCUs itself).
   * Sessions, calibration, envelope, geometry and sleep_only come from start-up; the rest is given here.
   */
  runtime: (Omit<RuntimeOptions, 'calibration' | 'sessions' | 'envelope' | 'geometry' | 'perception' | 'sleep_only'> & {
    perception: (inputs: PerceptionInputs) => PerceptionSource;
  }) | null;
  /** Start-up progress, what the MCUs say, link loss (default: silent). */
  log?: (line: string) => void;
}

export interface StartedRobot {
  calibration: Calibration;
  /** One link per node: an McuSession, or a FirmataNode for a Firmata board. */
  sessions: Map<string, RobotNodeLink>;
  links: RobotLinks<WorkerNode>;
  envelope: EnvelopeConfigInput;
  geometry: RobotGeometry;
  runtime: RobotRuntime | null;
  /** Stops the runtime, closes the sessions, stops the MCUs, in that order. */
  stop(): Promise<void>;
}

/**
 * The executor's CPU when none was asked for: 'auto' (a CPU of its own, docs/executor.md "A CPU for the loop") when every
 * node is a real board and neither SCHED_FIFO nor isolation was asked for, else affinity left alone. Not in simulation:
 * emulated MCUs need every core, and the posix firmware's processes share the machine with the loop.
 */
export function loopCpuFor(
  o: Pick<RuntimeOptions, 'loop_cpu' | 'rt_priority' | 'loop_isolation'>, plans: readonly Pick<NodePlan, 'kind'>[],
): number | 'auto' | 'none' {
  if (o.loop_cpu !== undefined) return o.loop_cpu;
  const realBoards = plans.length > 0 && plans.every((p) => p.kind === 'serial');
  return realBoards && o.rt_priority === undefined && !o.loop_isolation ? 'auto' : 'none';
}

/**
 * Boots and connects the robot and starts its runtime. Everything slow (worker start-up, module loading) happens here,
 * before the caller arms: a host stall longer than the link watchdog window after arming trips every MCU, as it should.
 */
export async function startRobot(o: StartRobotOptions): Promise<StartedRobot> {
  const log = o.log;
  // Calibration gate (host/calibration): no arming without a calibration made for this wiring; a robot with no real
  // boards calibrates its emulated twin once. Sessions then use the measured invert flags and gains.
  const calibration = await calibrationForRun(o.robot, { simulated: allSimulated(o.plans), ...(log ? { log } : {}) });
  const plans = o.plans.map((p) => ({ ...p, node: calibratedNode(p.node, calibration) }));
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    cleanups.length = 0;
  };
  try {
    const links = await openLinks(o.robot, plans, { realtime: true, ...(log ? { log } : {}) });
    cleanups.push(() => links.close());
    const sessions = await connectNodes(plans, links.transports, { ...(log ? { log } : {}) });
    cleanups.push(async () => { for (const s of sessions.values()) await s.close().catch(() => {}); });
    // The envelope and geometry of the robot file given, never the reference robot's.
    const envelope = envelopeWithCalibration(envelopeFor(REFERENCE_LIMITS, o.robot.kinematics, o.robot.name), calibration);
    const geometry = geometryFor(o.robot, envelope);
    let runtime: RobotRuntime | null = null;
    if (o.runtime) {
      const { perception, ...rest } = o.runtime;
      const rt = new RobotRuntime({
        ...rest, calibration, sessions, envelope, geometry, loop_cpu: loopCpuFor(rest, plans),
        perception: perception({ geometry, wheels: wheelJoints(envelope) }),
        // Emulated MCUs need the cores that spinning would take (see RuntimeOptions.sleep_only).
        sleep_only: plans.some((p) => p.kind === 'emulator'),
      });
      // Firmata nodes: the loop's ticks kick their host deadman, e-stop trips it (refused first: closed-loop joints on one).
      const unbind = bindFirmataNodes(rt, sessions);
      cleanups.push(async () => unbind());
      await rt.start();
      cleanups.push(() => rt.stop());
      if (rt.loop?.realtime) log?.(`executor: ${describeRealtime(rt.loop.realtime)}`);
      if (rt.loop?.isolation) log?.(`executor: ${describeIsolation(rt.loop.isolation)}`);
      if (rt.loop?.affinity) log?.(`executor: ${describeAffinity(rt.loop.affinity)}`);
      runtime = rt;
    }
    return { calibration, sessions, links, envelope, geometry, runtime, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
