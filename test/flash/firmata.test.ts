// `ganglion flash --board firmata-uno` writes StandardFirmata (from node_modules, never built) through an emulated
// Optiboot: the image lands in the emulated flash byte for byte, and the flashed board answers Firmata's version query.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { main as flashMain } from '../../host/cli/flash.ts';
import { connectFirmata } from '../../host/firmata/connect.ts';
import { firmataHexPath } from '../../host/firmata/hex.ts';
import { planFlash } from '../../host/flash/flash.ts';
import { loadBoard, ROOT } from '../../host/hw/board.ts';
import { SerialTransport } from '../../host/link/serial.ts';
import { readIntelHex } from './ihex.ts';
import { BOOT_ADDR, buildHarness, OPTIBOOT, startBoard, stopBoard } from './optiboot-board.ts';

const board = loadBoard('firmata-uno');

t.test('the plan writes StandardFirmata from node_modules, with no firmware build', async (t) => {
  const plan = planFlash({ boardId: 'firmata-uno', port: '/dev/ttyACM0' });
  const hex = firmataHexPath(board);
  t.equal(plan.build, false, 'nothing to build for a Firmata board');
  t.equal(plan.hex, hex);
  t.ok(hex.startsWith(path.join(ROOT, 'node_modules/avrgirl-arduino/')), `the image is read where the package ships it: ${hex}`);
  t.same(plan.args, ['-p', 'm328p', '-c', 'arduino', '-P', '/dev/ttyACM0', '-b', '115200', '-D', '-U', `flash:w:${hex}:i`]);
  const out = t.capture(process.stdout, 'write');
  const code = await flashMain(['--board', 'firmata-uno', '--port', '/dev/ttyACM0', '--dry-run']);
  const said = out().map((c) => String(c.args[0])).join('');
  out.restore();
  t.equal(code, 0);
  t.equal(said, `avrdude -p m328p -c arduino -P /dev/ttyACM0 -b 115200 -D -U flash:w:${hex}:i\n`, 'dry run: avrdude only, no make');
});

t.test('flash StandardFirmata through an emulated Optiboot, then talk Firmata to it', async (t) => {
  buildHarness();
  const hex = firmataHexPath(board);
  const dump = path.join(mkdtempSync(path.join(tmpdir(), 'gng-firmata-flash-')), 'flash.bin');
  const sim = await startBoard(dump);
  t.teardown(() => stopBoard(sim.child));

  const out = t.capture(process.stdout, 'write');
  const err = t.capture(process.stderr, 'write');
  const code = await flashMain(['--board', 'firmata-uno', '--port', sim.pty]);
  out.restore();
  err.restore();
  const said = [...out(), ...err()].map((c) => String(c.args[0])).join('');
  t.equal(code, 0, `ganglion flash succeeded: ${said}`);
  t.notMatch(said, 'building firmware', 'no firmware build for a Firmata board');
  t.match(said, `flashing ${hex} to firmata-uno`);
  t.match(said, 'verifying: 100%');
  t.match(said, `flashed and verified firmata-uno on ${sim.pty}`);

  // Opening the port resets into Optiboot; 1 s later StandardFirmata starts and answers at its 57600 baud.
  const transport = SerialTransport.forBoard(sim.pty, board);
  const conn = await connectFirmata({ transport, board, timeout_ms: 15_000 });
  t.equal(conn.firmware.name, 'StandardFirmata.ino', 'the flashed board reports StandardFirmata');
  t.equal(conn.protocol.major, 2, `Firmata protocol ${conn.protocol.major}.${conn.protocol.minor}`);
  t.ok(conn.protocol.minor >= board.firmata!.protocol_min_minor, 'a protocol minor the board profile accepts');
  await transport.close();

  t.equal(await stopBoard(sim.child), 0, 'the harness wrote its flash dump');
  const flash = readFileSync(dump);
  const image = readIntelHex(hex);
  let mismatches = 0;
  for (const [addr, byte] of image) if (flash[addr] !== byte) mismatches++;
  t.ok(image.size > 10_000, `StandardFirmata is ${image.size} bytes`);
  t.equal(mismatches, 0, `all ${image.size} bytes of StandardFirmata are in the emulated flash`);
  let bootIntact = true;
  for (const [addr, byte] of readIntelHex(OPTIBOOT)) if (addr >= BOOT_ADDR && flash[addr] !== byte) bootIntact = false;
  t.ok(bootIntact, 'the bootloader is still intact at 0x7E00');
});

// johnny-five keeps intervals alive after the board is gone.
t.teardown(() => setTimeout(() => process.exit(), 50));
