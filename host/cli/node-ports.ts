// `--port NODE=PATH` options shared by the commands that talk to a robot's boards (run, calibrate).
import type { Robot } from '../hw/robot.ts';

/** Parses repeated `--port NODE=PATH` values into a map; the error shows the expected form. */
export function parseNodePorts(values: readonly string[] | undefined): Map<string, string> {
  const ports = new Map<string, string>();
  for (const p of values ?? []) {
    const m = /^([a-z][a-z0-9_]*)=(.+)$/.exec(p);
    if (!m) throw new Error(`--port ${p}: write it as NODE=PATH, e.g. --port base=/dev/ttyUSB0`);
    ports.set(m[1]!, m[2]!);
  }
  return ports;
}

/** Every NODE named by --port must be a node of the robot. */
export function checkNodePorts(robot: Robot, ports: Map<string, string>): void {
  for (const id of ports.keys()) {
    if (!robot.nodes.some((n) => n.id === id)) throw new Error(`--port ${id}=...: robot ${robot.name} has no node "${id}" (it has ${robot.nodes.map((n) => n.id).join(', ')})`);
  }
}
