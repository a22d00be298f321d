// End to end: `ganglion flash` writes the real firmware through a real Optiboot running in simavr, the image lands
// in the emulated flash byte for byte, and the flashed firmware boots and says so over the same UART.
//
// How the emulated board works (host/flash/simavr/optiboot_sim.c):
// - simavr implements SPM, so Optiboot really programs the emulated flash page by page.
// - Optiboot is rebuilt from arduino-core-avr's source (see the harness Makefile): Debian's prebuilt
//   optiboot_atmega328.hex is 532 bytes and spills past the end of the 32 KiB flash (records at 0x8000-0x8013).
// - avrdude resets an Arduino by pulsing DTR, but on a pty its TIOCMGET/TIOCMSET ioctls fail with ENOTTY (this
//   test checks avrdude says so). The harness instead resets into the bootloader when the pty is opened, with
//   MCUSR=EXTRF, the only reset cause for which this Optiboot waits for avrdude rather than starting the app.
// - The harness runs the MCU in real time, so Optiboot's 1 s watchdog window is 1 s for avrdude as on a board.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import t from 'tap';
import { main as flashMain } from '../../host/cli/flash.ts';
import { buildFirmware, firmwareHexPath } from '../../host/flash/build.ts';
import { decodePayload } from '../../host/protocol/codec.ts';
import { FrameDecoder } from '../../host/protocol/frame.ts';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { readIntelHex } from './ihex.ts';
import { BOOT_ADDR, buildHarness, OPTIBOOT, startBoard, stopBoard } from './optiboot-board.ts';

/** Bytes waitForBootEvent() received, for the failure message. */
const received: Buffer[] = [];
function lastReceived(): string {
  const all = Buffer.concat(received);
  const hex = all.subarray(Math.max(0, all.length - 256)).toString('hex').replace(/(..)/g, '$1 ').trim();
  return `${all.length} bytes${all.length > 256 ? ', the last 256' : ''}: ${hex}`;
}

/** Opens the port at the firmware's 1 Mbaud and waits for its event(BOOT) frame. */
async function waitForBootEvent(pty: string, timeoutMs: number): Promise<{ code: number; arg: number } | null> {
  const port = new SerialPort({ path: pty, baudRate: 1_000_000, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  const decoder = new FrameDecoder();
  received.length = 0;
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      port.on('data', (b: Buffer) => {
        received.push(b);
        decoder.push(b, (f) => {
          for (const m of decodePayload(f.payload)) {
            if (m.name === 'event' && m.fields.code === CONSTANTS.EVENT.BOOT) {
              clearTimeout(timer);
              resolve(m.fields);
            }
          }
        });
      });
    });
  } finally {
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}

t.test('flash the firmware through an emulated Optiboot', async (t) => {
  buildHarness();
  const hex = existsSync(firmwareHexPath('atmega328p')) ? firmwareHexPath('atmega328p') : await buildFirmware('atmega328p');
  const dump = path.join(mkdtempSync(path.join(tmpdir(), 'gng-optiboot-')), 'flash.bin');
  const board = await startBoard(dump);
  t.teardown(() => stopBoard(board.child));

  const out = t.capture(process.stdout, 'write');
  const err = t.capture(process.stderr, 'write');
  const code = await flashMain(['--board', 'uno', '--port', board.pty, '--hex', hex]);
  // Stop capturing now: while stdout is captured, this test's own TAP lines (every assertion below, pass or fail)
  // would be swallowed too, and a failure would show up as a bare "not ok" with no message.
  out.restore();
  err.restore();
  const said = [...out(), ...err()].map((c) => String(c.args[0])).join('');
  t.equal(code, 0, `ganglion flash succeeded: ${said}`);
  t.match(said, 'writing: 100%');
  t.match(said, 'verifying: 100%');
  t.match(said, `flashed and verified uno on ${board.pty}`);

  // A second, independent read-back through the bootloader (verify only, nothing written).
  const verify = spawnSync('avrdude', ['-p', 'm328p', '-c', 'arduino', '-P', board.pty, '-b', '115200', '-U', `flash:v:${hex}:i`], { encoding: 'utf8' });
  t.equal(verify.status, 0, `avrdude verify: ${verify.stderr}`);
  t.match(verify.stderr, /bytes of flash verified/, 'avrdude read the image back through Optiboot');
  t.match(verify.stderr, /TIOCMGET.*Inappropriate ioctl/, 'on a pty avrdude cannot pulse DTR: the harness resets on open instead');

  // The flashed firmware starts once Optiboot times out (1 s after the port opens) and announces itself.
  const boot = await waitForBootEvent(board.pty, 15_000);
  t.ok(boot, 'the flashed firmware sent event(BOOT) at 1 Mbaud', { received: boot ? undefined : lastReceived(), harness: boot ? undefined : board.stderr.join('').slice(-2000) });

  t.equal(await stopBoard(board.child), 0, 'the harness wrote its flash dump');
  const flash = readFileSync(dump);
  const image = readIntelHex(hex);
  let mismatches = 0;
  for (const [addr, byte] of image) if (flash[addr] !== byte) mismatches++;
  t.ok(image.size > 0);
  t.equal(mismatches, 0, `all ${image.size} bytes of the image are in the emulated flash`);
  let bootIntact = true;
  for (const [addr, byte] of readIntelHex(OPTIBOOT)) if (addr >= BOOT_ADDR && flash[addr] !== byte) bootIntact = false;
  t.ok(bootIntact, 'the bootloader is still intact at 0x7E00');
  t.match(board.stderr.join(''), 'port opened, reset into the bootloader');
});
