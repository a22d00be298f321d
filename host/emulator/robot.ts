// Boots one emulated node per robot node: in this thread (tests, benchmarks) or paced to real time in worker threads.
import { loadBoard } from '../hw/board.ts';
import type { Robot } from '../hw/robot.ts';
import { FIRMWARE_HEX, ensureFirmware, loadFirmware } from './firmware.ts';
import { EmulatedNode, type PlantFaults } from './node.ts';
import { WorkerNode } from './worker-node.ts';

export interface BootOptions {
  /** Firmware image; default firmware/build/atmega328p/ganglion.hex (built when missing). */
  hexPath?: string;
  /**
   * true: each node in its own worker thread, paced to the wall clock (the live robot).
   * false: in-thread nodes that only run when you call runFor (tests, benchmarks).
   */
  realtime: boolean;
  /** Only these node ids (default: all nodes of the robot). */
  only?: string[];
  /** Hidden wiring faults by joint name (see MotorFaultsSchema): what calibration has to discover. */
  faults?: PlantFaults;
}

export interface EmulatedRobot<N> {
  nodes: Map<string, N>;
  /** Stop all workers (no-op for in-thread nodes, which stop when you stop calling them). */
  shutdown(): Promise<void>;
}

export function bootEmulatedRobot(robot: Robot, opts: BootOptions & { realtime: false }): Promise<EmulatedRobot<EmulatedNode>>;
export function bootEmulatedRobot(robot: Robot, opts: BootOptions & { realtime: true }): Promise<EmulatedRobot<WorkerNode>>;
export async function bootEmulatedRobot(robot: Robot, opts: BootOptions): Promise<EmulatedRobot<EmulatedNode> | EmulatedRobot<WorkerNode>> {
  const hexPath = ensureFirmware(opts.hexPath ?? FIRMWARE_HEX);
  const wanted = robot.nodes.filter((n) => !opts.only || opts.only.includes(n.id));
  if (opts.only) {
    const missing = opts.only.filter((id) => !robot.nodes.some((n) => n.id === id));
    if (missing.length) throw new Error(`robot ${robot.name} has no node ${missing.join(', ')} (it has ${robot.nodes.map((n) => n.id).join(', ')})`);
  }
  const faults = opts.faults ?? {};
  for (const joint of Object.keys(faults)) {
    if (!robot.nodes.some((n) => n.motors.some((m) => m.joint === joint))) throw new Error(`robot ${robot.name} has no motor joint "${joint}" to give faults to`);
  }
  const faultsOf = (n: Robot['nodes'][number]): PlantFaults => Object.fromEntries(Object.entries(faults).filter(([j]) => n.motors.some((m) => m.joint === j)));
  const boards = wanted.map((n) => {
    const board = loadBoard(n.board);
    if (board.mcu !== 'atmega328p') throw new Error(`node ${n.id}: board ${board.id} is a ${board.mcu}; the emulator runs ATmega328P boards only`);
    return board;
  });
  if (!opts.realtime) {
    const flash = loadFirmware(hexPath);
    const nodes = new Map(wanted.map((n, i) => [n.id, new EmulatedNode({ wiring: n, board: boards[i]!, flash, faults: faultsOf(n) })]));
    return { nodes, shutdown: async () => {} };
  }
  const booted = await Promise.allSettled(wanted.map((n, i) => WorkerNode.boot(n, boards[i]!, { hexPath, faults: faultsOf(n) })));
  const ok = booted.flatMap((b) => (b.status === 'fulfilled' ? [b.value] : []));
  const failed = booted.find((b) => b.status === 'rejected');
  const shutdown = async () => {
    await Promise.all(ok.map((n) => n.terminate()));
  };
  if (failed) {
    await shutdown();
    throw (failed as PromiseRejectedResult).reason;
  }
  return { nodes: new Map(ok.map((n) => [n.id, n])), shutdown };
}
