// The lower half of robot start-up: where each node's MCU runs (a real port, a broker tunnel, posix firmware on a pty, the emulator), its transport, and a session to it.
import path from 'node:path';
import { loadBoard, ROOT, type Board } from '../hw/board.ts';
import type { NodeWiring, Robot } from '../hw/robot.ts';
import { McuSession } from '../link/session.ts';
import type { SessionOptions } from '../link/session-types.ts';
import { SerialTransport } from '../link/serial.ts';
import { PosixMcu, asPosixBoard } from '../link/posix-mcu.ts';
import { MqttTunnelTransport } from '../link/mqtt-tunnel.ts';
import type { Transport } from '../link/transport.ts';
import { bootEmulatedRobot } from '../emulator/robot.ts';
import { FIRMWARE_HEX } from '../emulator/firmware.ts';
import type { EmulatedNode, PlantFaults } from '../emulator/node.ts';
import type { WorkerNode } from '../emulator/worker-node.ts';
import type { NodeLink } from '../link/node-link.ts';
import { connectFirmataNode, emulatorImage, firmataWarning } from './firmata-link.ts';

/** Where one node's MCU is: a real port (serial path or broker URL), a posix firmware process, or the emulator. */
export interface NodePlan {
  node: NodeWiring;
  board: Board;
  kind: 'serial' | 'posix' | 'emulator';
  port?: string;
}

export interface PlanOptions {
  /** Node id -> serial path or broker URL, given on the command line (over the robot file's `port`). */
  ports?: ReadonlyMap<string, string>;
  /** Also use the ports written in the robot file (the command line does; simulations and calibration do not). */
  filePorts?: boolean;
  /** Nodes without a port run here: the .hex in avr8js (default) or the posix firmware build on a pty. */
  sim?: 'emulator' | 'posix';
}

/** Where each node of `robot` runs. Throws, naming the node and the fix, for a real board with no port. */
export function planNodes(robot: Robot, o: PlanOptions = {}): NodePlan[] {
  return robot.nodes.map((node) => {
    const board = loadBoard(node.board);
    const port = o.ports?.get(node.id) ?? (o.filePorts ? node.port : undefined);
    if (port) return { node, board, kind: 'serial', port };
    if (o.sim === 'posix') return { node, board: asPosixBoard(board), kind: 'posix' };
    if (!board.emulated) throw new Error(`node "${node.id}" is on a real ${board.id} board but no port is given: add --port ${node.id}=/dev/ttyUSB0 (see \`ganglion doctor\`)`);
    return { node, board, kind: 'emulator' };
  });
}

/** true when no node is on a real board: the simulated world can stand in for perception. */
export const allSimulated = (plans: readonly NodePlan[]): boolean => plans.every((p) => p.kind !== 'serial');

export interface RobotLinks<N> {
  /** Each node's transport, by node id, in plan order. */
  transports: Map<string, Transport>;
  /** The emulated nodes by id (empty when none): for pressing inputs, reading pins, pumping emulated time. */
  emulated: Map<string, N>;
  /** [ms] how far each real-time emulated node is behind the wall clock, as last reported. */
  lag: Map<string, number>;
  /** Stops what was started (workers, posix processes), last first. */
  close(): Promise<void>;
}

export interface LinkOptions {
  /** true: emulated nodes in worker threads paced to the wall clock; false: in-thread nodes that run when pumped. */
  realtime: boolean;
  /** Hidden wiring faults of the emulated plants (calibration tests). */
  faults?: PlantFaults;
  /** Firmware image for the emulator (default: the built .hex). */
  hexPath?: string;
  log?: (line: string) => void;
}

/** Starts every planned node's MCU (emulated or posix) or opens its port, and returns one transport per node. */
export function openLinks(robot: Robot, plans: readonly NodePlan[], o: LinkOptions & { realtime: true }): Promise<RobotLinks<WorkerNode>>;
export function openLinks(robot: Robot, plans: readonly NodePlan[], o: LinkOptions & { realtime: false }): Promise<RobotLinks<EmulatedNode>>;
export async function openLinks(robot: Robot, plans: readonly NodePlan[], o: LinkOptions): Promise<RobotLinks<WorkerNode | EmulatedNode>> {
  const log = o.log ?? (() => {});
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    cleanups.length = 0;
  };
  const emulated = new Map<string, WorkerNode | EmulatedNode>();
  const lag = new Map<string, number>();
  const found = new Map<string, Transport>();
  try {
    // One boot per firmware image: Ganglion's .hex, or a Firmata board's StandardFirmata (emulator nodes only).
    const images = new Map<string | undefined, string[]>();
    for (const p of plans.filter((q) => q.kind === 'emulator')) {
      const img = emulatorImage(p.board, o.hexPath);
      images.set(img, [...(images.get(img) ?? []), p.node.id]);
    }
    for (const [hexPath, onEmulator] of images) {
      const boot = { only: onEmulator, ...(o.faults ? { faults: o.faults } : {}), ...(hexPath ? { hexPath } : {}) };
      const sim = o.realtime ? await bootEmulatedRobot(robot, { ...boot, realtime: true }) : await bootEmulatedRobot(robot, { ...boot, realtime: false });
      cleanups.push(() => sim.shutdown());
      for (const [id, n] of sim.nodes) {
        emulated.set(id, n);
        found.set(id, n.transport);
        if ('onLag' in n) n.onLag((ms) => lag.set(id, ms));
      }
      log(`emulator: ${onEmulator.length} ATmega328P node(s) running ${path.relative(ROOT, hexPath ?? FIRMWARE_HEX)} in avr8js: ${onEmulator.join(', ')}`);
    }
    for (const p of plans) {
      if (p.kind === 'serial') {
        const tunnel = /^(mqtts?|wss?):\/\//.test(p.port!);
        found.set(p.node.id, tunnel ? new MqttTunnelTransport({ url: p.port!, robot: robot.name, node: p.node.id }) : SerialTransport.forBoard(p.port!, p.board));
      }
      if (p.kind === 'posix') {
        const mcu = new PosixMcu();
        const pty = await mcu.start();
        cleanups.push(() => mcu.stop());
        found.set(p.node.id, SerialTransport.forBoard(pty, p.board));
        log(`posix firmware for ${p.node.id} on ${pty}`);
      }
    }
  } catch (e) {
    await close();
    throw e;
  }
  const transports = new Map(plans.map((p) => [p.node.id, found.get(p.node.id)!]));
  return { transports, emulated, lag, close };
}

/**
 * Who re-arms a node after its link comes back (session.arm logs it as the decision). A real board: nobody, it was
 * unplugged, reset or browned out and may have been moved or rewired; it stays disarmed until the operator re-arms
 * it (dashboard or cmd/arm). Emulated ones have no hardware to hurt: the simulation keeps running.
 */
export const REARM_AFTER_RECONNECT: Record<NodePlan['kind'], string | null> = {
  serial: null,
  posix: 'the simulation (posix firmware on a pty: no hardware)',
  emulator: 'the simulation (emulated board in avr8js: no hardware)',
};

export type SessionSettings = Pick<SessionOptions, 'rearmAfterReconnect' | 'reconnect' | 'status_hz'> & { log?: (line: string) => void };

/** A session to one node, not yet connected. With `log`, what the MCU says, link loss/recovery and re-arm decisions are written there. */
export function newSession(transport: Transport, node: NodeWiring, board: Board, o: SessionSettings = {}): McuSession {
  const log = o.log;
  const s = new McuSession({
    transport, node, board,
    ...(o.rearmAfterReconnect ? { rearmAfterReconnect: o.rearmAfterReconnect } : {}),
    ...(log ? { log: (l: string) => log(`[${node.id}] ${l}`) } : {}),
    ...(o.reconnect !== undefined ? { reconnect: o.reconnect } : {}),
    ...(o.status_hz !== undefined ? { status_hz: o.status_hz } : {}),
  });
  if (log) {
    s.on('event', (e) => log(`[${node.id}] ${e.text}`));
    s.on('mcu_error', (e) => log(`[${node.id}] MCU refused: ${e.text}`));
    s.on('disconnected', (d) => log(`[${node.id}] link lost: ${d.reason}; reconnecting`));
    s.on('reconnected', () => log(`[${node.id}] link back${s.awaitingRearm ? ', left disarmed until re-armed' : ''}`));
  }
  return s;
}

/**
 * Connects a session to every planned node in order; on a failure closes those opened and throws. A node with analog
 * inputs (a leader's pots) reports them at its telemetry rate: teleop reads them every tick.
 */
export async function connectSessions(plans: readonly NodePlan[], transports: ReadonlyMap<string, Transport>, o: SessionSettings = {}): Promise<Map<string, McuSession>> {
  const sessions = new Map<string, McuSession>();
  try {
    for (const p of plans) {
      const rearm = REARM_AFTER_RECONNECT[p.kind];
      const s = newSession(transports.get(p.node.id)!, p.node, p.board, { ...o, ...(rearm ? { rearmAfterReconnect: rearm } : {}), ...(p.node.analog.length ? { status_hz: p.node.telemetry_hz } : {}) });
      sessions.set(p.node.id, s);
      const id = await s.connect();
      o.log?.(`[${p.node.id}] ${s.options.transport.name}: Ganglion firmware ${id.fw_major}.${id.fw_minor}, protocol 0x${id.proto_hash.toString(16)}, node "${id.nodeId}"`);
    }
  } catch (e) {
    for (const s of sessions.values()) await s.close().catch(() => {});
    throw e;
  }
  return sessions;
}

/** A connected node of any kind: what the runtime drives, and what start-up closes. */
export type RobotNodeLink = NodeLink & { close(): Promise<void> };

/**
 * connectSessions for a robot that may mix boards: a Firmata board gets a FirmataNode (host/boot/firmata-link.ts),
 * after the last-state warning, said once; the map keeps plan order. On a failure closes those opened and throws.
 */
export async function connectNodes(plans: readonly NodePlan[], transports: ReadonlyMap<string, Transport>, o: SessionSettings = {}): Promise<Map<string, RobotNodeLink>> {
  const firmata = plans.filter((p) => p.board.kind === 'firmata');
  if (firmata.length) o.log?.(firmataWarning(firmata.map((p) => p.node.id)));
  const byId = new Map<string, RobotNodeLink>(await connectSessions(plans.filter((p) => p.board.kind !== 'firmata'), transports, o));
  try {
    for (const p of firmata) byId.set(p.node.id, await connectFirmataNode(transports.get(p.node.id)!, p.node, p.board, o.log));
  } catch (e) {
    for (const s of byId.values()) await s.close().catch(() => {});
    throw e;
  }
  return new Map(plans.map((p) => [p.node.id, byId.get(p.node.id)!]));
}
