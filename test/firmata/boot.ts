// Test helper: the real StandardFirmata hex (from node_modules) on an emulated Uno with plants, paced to the wall clock.
import { loadBoard, type Board } from '../../host/hw/board.ts';
import { loadRobot, type NodeWiring } from '../../host/hw/robot.ts';
import path from 'node:path';
import { SCHEMATICS_DIR } from '../../host/hw/robot.ts';
import { connectFirmata, type FirmataConnection } from '../../host/firmata/connect.ts';
import { loadFirmataFlash } from '../../host/firmata/hex.ts';
import { EmulatedNode } from '../../host/emulator/node.ts';
import { RealtimePacer } from '../../host/emulator/pacer.ts';

export const FIRMATA_ARM = path.join(SCHEMATICS_DIR, 'firmata-arm.json');

export interface FirmataBench {
  node: EmulatedNode;
  pacer: RealtimePacer;
  wiring: NodeWiring;
  board: Board;
  stop(): void;
}

/** Power on the firmata-arm node (or `wiring`) on StandardFirmata, paced to real time in this thread. */
export function bootFirmataNode(wiring?: NodeWiring): FirmataBench {
  const w = wiring ?? loadRobot(FIRMATA_ARM).nodes[0]!;
  const board = loadBoard(w.board);
  const node = new EmulatedNode({ wiring: w, board, flash: loadFirmataFlash(board) });
  const pacer = new RealtimePacer(node, { lag_limit_ms: 200 });
  pacer.start();
  return { node, pacer, wiring: w, board, stop: () => pacer.stop() };
}

export async function bootAndConnect(wiring?: NodeWiring): Promise<FirmataBench & { conn: FirmataConnection }> {
  const b = bootFirmataNode(wiring);
  // Bytes from the host kick the pacer, as the emulator's worker does: the MCU sees them at once.
  try {
    const conn = await connectFirmata({ transport: kicked(b), board: b.board, timeout_ms: 15_000 });
    return { ...b, conn };
  } catch (e) {
    b.stop();
    throw e;
  }
}

function kicked(b: FirmataBench): FirmataBench['node']['transport'] {
  const t = b.node.transport;
  const write = t.write.bind(t);
  t.write = (bytes) => {
    write(bytes);
    b.pacer.kick();
  };
  return t;
}

/** High pulses on a wire pin, in us, with the time each ended [us of emulated time]. */
export function pulseRecorder(node: EmulatedNode, wirePin: number): { pulses: { width_us: number; end_us: number }[] } {
  const rec = { pulses: [] as { width_us: number; end_us: number }[] };
  let rise = -1;
  const us = (c: number) => (c * 1e6) / node.clock_hz;
  node.mcu.onPinChange((pin, high, cycles) => {
    if (pin !== wirePin) return;
    if (high) rise = cycles;
    else if (rise >= 0) {
      rec.pulses.push({ width_us: us(cycles - rise), end_us: us(cycles) });
      rise = -1;
    }
  });
  return rec;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait (wall clock) until `cond` holds, or fail naming `what`. Give a function when the text reports state (replies,
 * output): it is read at the timeout, not when the wait began.
 */
export async function until(cond: () => boolean, what: string | (() => string), timeout_ms = 10_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeout_ms) throw new Error(`timed out after ${timeout_ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(5);
  }
}
