// `ganglion flash --board uno --port /dev/ttyUSB0 [--hex file] [--baud n] [--dry-run]`: build the firmware and flash it with avrdude.
import cliProgress from 'cli-progress';
import { shellQuote } from '../flash/avrdude.ts';
import { BUILD_COMMAND } from '../flash/build.ts';
import { flash, planFlash, type FlashRequest } from '../flash/flash.ts';
import type { FlashPhase, ProgressEvent } from '../flash/progress.ts';
import { listBoards } from '../hw/board.ts';
import { parseCommand } from './args.ts';

const USAGE = `usage: ganglion flash --board <id> --port <path> [--hex file.hex] [--baud n] [--dry-run]

Builds the firmware for the board's MCU (make -C firmware all) and writes it through the board's
bootloader with avrdude, then verifies it. A Firmata board (firmata-uno) gets StandardFirmata as
shipped by the avrgirl-arduino package instead, with nothing built. Boards: ${listBoards().join(', ')}.
  --hex      flash this image instead of building one
  --baud     bootloader baud override (old Nanos: 57600)
  --dry-run  print the exact commands and exit without running them
`;

const LABEL: Record<FlashPhase, string> = { write: 'writing  ', verify: 'verifying', read: 'reading  ' };

/** One cli-progress bar per avrdude phase on a terminal; one line per finished phase otherwise (logs, CI). */
function progressView(): { onProgress: (e: ProgressEvent) => void; stop: () => void } {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let phase: FlashPhase | null = null;
  const finish = (): void => {
    bar?.stop();
    bar = null;
  };
  return {
    onProgress: (e) => {
      if (e.phase !== phase) {
        finish();
        phase = e.phase;
        if (tty) {
          bar = new cliProgress.SingleBar({ format: `${LABEL[e.phase]} |{bar}| {percentage}%`, hideCursor: true }, cliProgress.Presets.shades_classic);
          bar.start(100, 0);
        }
      }
      bar?.update(e.percent);
      if (!tty && e.percent === 100) process.stderr.write(`${LABEL[e.phase].trim()}: 100%\n`);
    },
    stop: finish,
  };
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand('flash', USAGE, argv, {
    board: { type: 'string', short: 'b' }, port: { type: 'string', short: 'p' }, hex: { type: 'string' }, baud: { type: 'string' }, 'dry-run': { type: 'boolean' },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.board || !values.port) {
    process.stderr.write(`ganglion flash: --board and --port are required\n\n${USAGE}`);
    return 2;
  }
  const baud = values.baud === undefined ? undefined : Number(values.baud);
  if (baud !== undefined && !(Number.isInteger(baud) && baud > 0)) {
    process.stderr.write(`ganglion flash: --baud must be a positive whole number such as 57600, not "${values.baud}"\n`);
    return 2;
  }
  const req: FlashRequest = { boardId: values.board, port: values.port, ...(values.hex ? { hex: values.hex } : {}), ...(baud ? { baud } : {}) };
  try {
    if (values['dry-run']) {
      const plan = planFlash(req);
      if (plan.build) process.stdout.write(`${shellQuote(BUILD_COMMAND)}\n`);
      process.stdout.write(`${shellQuote([plan.avrdude, ...plan.args])}\n`);
      return 0;
    }
    const view = progressView();
    try {
      await flash(req, { onProgress: view.onProgress, onStatus: (s) => process.stderr.write(`${s}\n`) });
    } finally {
      view.stop();
    }
    process.stdout.write(`flashed and verified ${values.board} on ${values.port}\n`);
    return 0;
  } catch (e) {
    if ((e as Error).name !== 'FlashError') throw e;
    process.stderr.write(`ganglion flash: ${(e as Error).message}\n`);
    return 1;
  }
}
