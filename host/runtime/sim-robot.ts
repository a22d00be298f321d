// The whole reference robot in simulation, ready to command: emulated firmware (posix build on ptys, or the .hex in avr8js), sessions, calibration, world, runtime, armed.
import { planNodes } from '../boot/links.ts';
import { sceneAround } from '../world/scene-around.ts';
import { loadRobot } from '../hw/robot.ts';
import type { NodeLink } from '../link/node-link.ts';
import type { WorkerNode } from '../emulator/worker-node.ts';
import { TabletopPerception } from '../world/tabletop-perception.ts';
import type { RobotRuntime } from './runtime.ts';
import { startRobot } from './start-robot.ts';

export interface SimRobotOptions {
  /**
   * posix: the firmware's portable core built as a Linux process on a pty (cheap on CPU; no pin-level plant).
   * avr: the real ATmega328P .hex in avr8js, paced to real time, with motor/encoder plants on its pins.
   */
  firmware?: 'posix' | 'avr';
  /** The robot's id on MQTT and in logs (default: the calibration's robot name). */
  robot_id?: string;
  /** [Hz] executor rate (default 500). */
  rate_hz?: number;
  /** Seed of the tabletop scene around the robot. */
  scene_seed?: number;
  /** Where corrections are logged (JSON lines); default: not persisted. */
  correction_log?: string;
  /**
   * [ms] link watchdog window for every MCU (default: the robot file's, 100 ms). Tests on a loaded shared machine
   * widen it: a host stall longer than the window trips the emulated MCUs, as it should on a real robot.
   */
  watchdog_ms?: number;
  /** Skill packages (modules, `ganglion train` skill folders) the runtime loads beside the built-ins. */
  skills_dir?: string;
  /** Arm the MCUs once the runtime runs (default true). */
  arm?: boolean;
}

export interface SimRobot {
  runtime: RobotRuntime;
  /** The simulated tabletop world the runtime perceives (its `world` is the scene now). */
  tabletop: TabletopPerception;
  sessions: Map<string, NodeLink>;
  /**
   * avr only: the PWM duty [0, 1] the emulated MCU is putting on motor `motor` of `node`, measured on its pins over the
   * last complete PWM period. (posix firmware has no pins: read telemetry outPermille instead.)
   */
  pwmDuty(node: string, motor: number): Promise<number>;
  /** The emulated nodes (avr only), for pressing the e-stop input, reading pins... */
  emulated: Map<string, WorkerNode> | null;
  stop(): Promise<void>;
}

export async function startSimRobot(o: SimRobotOptions = {}): Promise<SimRobot> {
  const loaded = loadRobot();
  const robot = o.watchdog_ms === undefined ? loaded : { ...loaded, nodes: loaded.nodes.map((n) => ({ ...n, watchdog_ms: o.watchdog_ms! })) };
  const made: { tabletop?: TabletopPerception } = {};
  const started = await startRobot({
    robot,
    plans: planNodes(robot, { sim: o.firmware === 'avr' ? 'emulator' : 'posix' }),
    runtime: {
      rate_hz: o.rate_hz ?? 500,
      perception: (inputs) => (made.tabletop = new TabletopPerception(sceneAround({ x_m: 0, y_m: 0, heading_rad: 0 }, o.scene_seed ?? 1), inputs)),
      ...(o.robot_id ? { robot_id: o.robot_id } : {}),
      ...(o.correction_log ? { correction_log: o.correction_log } : {}),
      ...(o.skills_dir ? { skills_dir: o.skills_dir } : {}),
    },
  });
  const { sessions, stop } = started;
  const runtime = started.runtime!;
  const emulated = o.firmware === 'avr' ? started.links.emulated : null;
  try {
    if (o.arm !== false) {
      await runtime.arm();
      // The armed state comes back in telemetry: return only once every MCU reports it, so callers can act at once.
      const t0 = performance.now();
      while ([...sessions.values()].some((s) => !s.stats().armed)) {
        if (performance.now() - t0 > 3000) throw new Error(`not armed within 3 s: ${[...sessions].filter(([, s]) => !s.stats().armed).map(([id, s]) => `${id} [${s.stats().faults.join(', ')}]`).join('; ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    return {
      runtime,
      tabletop: made.tabletop!,
      sessions,
      emulated,
      async pwmDuty(node, motor) {
        if (!emulated) throw new Error('pwmDuty needs firmware: "avr" (the posix build has no pins; read telemetry outPermille)');
        const n = emulated.get(node);
        if (!n) throw new Error(`no emulated node "${node}" (there are ${[...emulated.keys()].join(', ')})`);
        const m = (await n.snapshot()).motors[motor];
        if (!m) throw new Error(`node "${node}" has no motor ${motor}`);
        return m.pwm_duty;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
