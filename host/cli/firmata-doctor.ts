// `ganglion doctor` on a port where Ganglion's firmware is silent: does StandardFirmata answer at 57600? With the last-state warning.
import type { CheckItem } from '../flash/checklist.ts';
import { loadBoard } from '../hw/board.ts';
import { probeFirmata } from '../firmata/probe.ts';
import { SerialTransport } from '../link/serial.ts';
import { lastStateWarning } from '../firmata/deadman.ts';

/** A checklist item when a Firmata board answers on `port` (with the warning, said once per board), else null. */
export async function firmataItem(port: string, probeMs: number): Promise<CheckItem | null> {
  const board = loadBoard('firmata-uno');
  const transport = SerialTransport.forBoard(port, board);
  try {
    const v = await probeFirmata(transport, probeMs);
    if (!v) return null;
    return {
      mark: 'warn',
      text: `StandardFirmata (Firmata protocol ${v.major}.${v.minor}) answers at ${board.baud} baud: use board "${board.id}" for this node in the robot file`,
      hint: lastStateWarning(port),
    };
  } catch {
    return null;
  } finally {
    if (transport.isOpen) await transport.close();
  }
}
