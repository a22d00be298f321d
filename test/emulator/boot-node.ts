// Test helper: boots one node of the reference robot on the real firmware (built if missing), with a TestLink attached.
import { loadBoard, type Board } from '../../host/hw/board.ts';
import { loadRobot, type NodeWiring } from '../../host/hw/robot.ts';
import { ensureFirmware, loadFirmware } from '../../host/emulator/firmware.ts';
import { EmulatedNode } from '../../host/emulator/node.ts';
import { TestLink } from './link-helper.ts';

let flash: Uint8Array | null = null;

/** The firmware image, built if missing (`npm test` builds it first; CI has avr-gcc). */
export function firmwareFlash(): Uint8Array {
  if (!flash) flash = loadFirmware(ensureFirmware());
  return flash;
}

export interface Booted {
  node: EmulatedNode;
  link: TestLink;
  wiring: NodeWiring;
  board: Board;
}

/** Power on node `id` of the reference robot and run `boot_ms` so the firmware is up. */
export function bootNode(id: string, boot_ms = 5): Booted {
  const wiring = loadRobot().nodes.find((n) => n.id === id);
  if (!wiring) throw new Error(`reference robot has no node ${id}`);
  const board = loadBoard(wiring.board);
  const node = new EmulatedNode({ wiring, board, flash: firmwareFlash() });
  const link = new TestLink(node);
  node.runFor(boot_ms);
  return { node, link, wiring, board };
}

/** Run `ms` while streaming the same setpoints every 10 ms, as a host executor does (keeps the link watchdog fed). */
export function holdMotors(b: Booted, ms: number, channels: Parameters<TestLink['setMotors']>[0], each?: () => void): void {
  for (let t = 0; t < ms; t += 10) {
    b.link.setMotors(channels);
    b.node.runFor(Math.min(10, ms - t));
    each?.();
  }
}

/** Run `ms` sending a heartbeat every 20 ms, so the link watchdog stays fed while nothing else is sent. */
export function keepAlive(b: Booted, ms: number): void {
  for (let t = 0; t < ms; t += 20) {
    b.link.send('heartbeat', {});
    b.node.runFor(Math.min(20, ms - t));
  }
}
