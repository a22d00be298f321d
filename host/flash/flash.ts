// Flashing a board: resolve its profile, check avrdude and the port, build the image, run avrdude and report progress.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { listBoards, loadBoard, type Board } from '../hw/board.ts';
import { avrdudeArgs, findExecutable, FlashError } from './avrdude.ts';
import { buildFirmware, firmwareHexPath } from './build.ts';
import { firmataHexPath } from '../firmata/hex.ts';
import { AvrdudeProgress, type ProgressEvent } from './progress.ts';

export interface FlashPlan {
  board: Board;
  /** The image to write; absent until built when no --hex was given. */
  hex: string;
  /** True when Ganglion's firmware must be built before flashing (no --hex, not a Firmata board). */
  build: boolean;
  avrdude: string;
  args: string[];
}

export interface FlashRequest {
  boardId: string;
  port: string;
  hex?: string;
  /** Upload baud override, e.g. 57600 for old Nanos; default from the board profile. */
  baud?: number;
  /** avrdude executable (name on PATH or a path). */
  avrdude?: string;
}

/** Resolves the board and the exact avrdude command, without touching the port. */
export function planFlash(req: FlashRequest): FlashPlan {
  if (!listBoards().includes(req.boardId)) {
    throw new FlashError(`unknown board "${req.boardId}"; known boards: ${listBoards().join(', ')}`);
  }
  const board = loadBoard(req.boardId);
  if (board.emulated) throw new FlashError(`${board.id} runs in the emulator and needs no flashing`);
  if (req.hex && !existsSync(req.hex)) throw new FlashError(`the image ${req.hex} does not exist; check the --hex path`);
  // A Firmata board gets StandardFirmata as shipped in node_modules (never built, never copied); others our firmware.
  const hex = req.hex ?? (board.kind === 'firmata' ? firmataHexPath(board) : firmwareHexPath(board.mcu));
  const avrdude = req.avrdude ?? 'avrdude';
  return { board, hex, build: !req.hex && board.kind !== 'firmata', avrdude, args: avrdudeArgs(board, req.port, hex, req.baud) };
}

/** Refuses a port that does not exist or that this user cannot open, with the fix in the message. */
export function checkPort(port: string): void {
  try {
    statSync(port);
  } catch {
    throw new FlashError(`serial port ${port} does not exist; plug the board in, and run ganglion doctor to list serial ports`);
  }
  try {
    accessSync(port, constants.R_OK | constants.W_OK);
  } catch {
    throw new FlashError(
      `no permission to open ${port}; add yourself to the dialout group (sudo usermod -aG dialout $USER), then log out and in again`,
    );
  }
}

const FAILURE_HINT =
  'Is it the right port (ganglion doctor lists them)? Press the board\'s reset button just before flashing. ' +
  'Old Nanos (old bootloader) need --baud 57600.';

export interface FlashHooks {
  onProgress?: (e: ProgressEvent) => void;
  /** Status lines for the user: "building firmware", "flashing ...". */
  onStatus?: (line: string) => void;
}

/** Runs avrdude with the plan's arguments; resolves when the image is written and verified. */
export async function runAvrdude(plan: FlashPlan, hooks: FlashHooks = {}): Promise<void> {
  const progress = new AvrdudeProgress();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(plan.avrdude, plan.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const take = (b: Buffer): void => progress.push(b.toString('latin1'), (e) => hooks.onProgress?.(e));
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOENT' ? new FlashError(`avrdude was not found (${plan.avrdude}); install it: npm run setup`) : new FlashError(`cannot run avrdude: ${e.message}`)));
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    const tail = progress.tail(6).map((l) => `  ${l}`).join('\n');
    throw new FlashError(`avrdude failed (exit ${code}) flashing ${plan.board.id} on ${plan.args[plan.args.indexOf('-P') + 1]}. ${FAILURE_HINT}\n${tail}`);
  }
}

/** Checks, builds (unless a hex was given) and flashes; throws FlashError with the user's next step. */
export async function flash(req: FlashRequest, hooks: FlashHooks = {}): Promise<FlashPlan> {
  const plan = planFlash(req);
  if (!findExecutable(plan.avrdude)) throw new FlashError(`avrdude was not found (${plan.avrdude}); install it: npm run setup`);
  checkPort(req.port);
  if (plan.build) {
    hooks.onStatus?.(`building firmware for ${plan.board.mcu}`);
    await buildFirmware(plan.board.mcu);
  }
  hooks.onStatus?.(`flashing ${plan.hex} to ${plan.board.id} on ${req.port}`);
  await runAvrdude(plan, hooks);
  return plan;
}
