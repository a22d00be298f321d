// Firmata nodes in the one start-up: which image their emulated twin runs, and a FirmataNode where a session would stand.
import type { Board } from '../hw/board.ts';
import type { NodeWiring } from '../hw/robot.ts';
import { connectFirmata } from '../firmata/connect.ts';
import { lastStateWarning } from '../firmata/deadman.ts';
import { firmataHexPath } from '../firmata/hex.ts';
import { FirmataNode } from '../firmata/node.ts';
import type { Transport } from '../link/transport.ts';

/** The firmware an emulated node runs: the board's StandardFirmata image (board.firmata.hex), else Ganglion's (`ganglion` = default). */
export function emulatorImage(board: Board, ganglion: string | undefined): string | undefined {
  return board.firmata ? firmataHexPath(board) : ganglion;
}

/** [ms] how long an emulated Firmata board may take to answer and finish johnny-five's capability query. */
const EMULATED_CONNECT_MS = 30_000;

/** Said once per start-up when the robot has a Firmata board. */
export function firmataWarning(ids: readonly string[]): string {
  return lastStateWarning(`Firmata board${ids.length > 1 ? 's' : ''} ${ids.join(', ')}`);
}

/**
 * Connects a StandardFirmata board (version handshake, johnny-five ready) and wraps it as the runtime's node link.
 * Its deadman's process hooks make the outputs safe on SIGINT/SIGTERM without ending the process (the caller shuts
 * down in order) and on an uncaught error (then it exits); FirmataNode.close removes them.
 */
export async function connectFirmataNode(transport: Transport, node: NodeWiring, board: Board, log?: (line: string) => void): Promise<FirmataNode> {
  // An emulated board shares the host's cores with the rest of the robot and may run behind the wall clock: wait longer.
  const conn = await connectFirmata({ transport, board, ...(board.emulated ? { timeout_ms: EMULATED_CONNECT_MS } : {}) });
  const n = new FirmataNode({ conn, wiring: node, board, ...(log ? { log } : {}) });
  if (log) {
    n.on('event', (e) => log(`[${node.id}] ${e.text}`));
    n.on('mcu_error', (e) => log(`[${node.id}] refused: ${e.text}`));
  }
  n.deadman.installProcessHooks(() => conn.port.drain(), { exitOnSignal: false });
  log?.(`[${node.id}] ${transport.name}: ${conn.firmware.name} ${conn.firmware.major}.${conn.firmware.minor}, Firmata protocol ${conn.protocol.major}.${conn.protocol.minor}, host deadman window ${node.watchdog_ms} ms`);
  return n;
}
