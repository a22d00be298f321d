// `ganglion flash` without hardware: the exact avrdude command per board, and each error a user can hit.
import t, { type Test } from 'tap';
import { main as flashMain } from '../../host/cli/flash.ts';
import { shellQuote } from '../../host/flash/avrdude.ts';
import { BUILD_COMMAND, firmwareHexPath } from '../../host/flash/build.ts';
import { flash, planFlash } from '../../host/flash/flash.ts';
import { listBoards } from '../../host/hw/board.ts';

const HERE = new URL(import.meta.url).pathname; // an existing file, standing in for a hex image where none is read

async function run(t: Test, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = t.capture(process.stdout, 'write');
  const err = t.capture(process.stderr, 'write');
  const code = await flashMain(argv);
  const text = (r: { args: unknown[] }[]) => r.map((c) => String(c.args[0])).join('');
  return { code, out: text(out()), err: text(err()) };
}

t.test('--dry-run prints the build and avrdude commands for an Uno', async (t) => {
  const r = await run(t, ['--board', 'uno', '--port', '/dev/ttyUSB0', '--dry-run']);
  t.equal(r.code, 0);
  const hex = firmwareHexPath('atmega328p');
  t.equal(r.out, `${shellQuote(BUILD_COMMAND)}\navrdude -p m328p -c arduino -P /dev/ttyUSB0 -b 115200 -D -U flash:w:${hex}:i\n`);
});

t.test('--dry-run for the Mega uses the wiring programmer, and quotes odd paths', async (t) => {
  const r = await run(t, ['--board', 'mega2560', '--port', "/dev/it's here", '--hex', HERE, '--dry-run']);
  t.equal(r.code, 0);
  t.equal(r.out, `avrdude -p m2560 -c wiring -P '/dev/it'\\''s here' -b 115200 -D -U flash:w:${HERE}:i\n`);
});

t.test('--baud overrides the bootloader baud (old Nanos)', async (t) => {
  const r = await run(t, ['--board', 'nano', '--port', '/dev/ttyUSB0', '--hex', HERE, '--baud', '57600', '--dry-run']);
  t.match(r.out, '-c arduino -P /dev/ttyUSB0 -b 57600 -D');
  const bad = await run(t, ['--board', 'nano', '--port', '/dev/ttyUSB0', '--baud', 'fast']);
  t.equal(bad.code, 2);
  t.match(bad.err, '--baud must be a positive whole number');
});

t.test('an unknown board lists the known ones', async (t) => {
  const r = await run(t, ['--board', 'due', '--port', '/dev/ttyUSB0', '--dry-run']);
  t.equal(r.code, 1);
  t.equal(r.err, `ganglion flash: unknown board "due"; known boards: ${listBoards().join(', ')}\n`);
});

t.test('an emulated board needs no flashing', async (t) => {
  const r = await run(t, ['--board', 'sim-uno', '--port', '/dev/ttyUSB0']);
  t.equal(r.code, 1);
  t.equal(r.err, 'ganglion flash: sim-uno runs in the emulator and needs no flashing\n');
});

t.test('missing arguments and a missing --hex file', async (t) => {
  const r = await run(t, ['--board', 'uno']);
  t.equal(r.code, 2);
  t.match(r.err, '--board and --port are required');
  t.throws(() => planFlash({ boardId: 'uno', port: '/dev/ttyUSB0', hex: '/nonexistent.hex' }), { message: 'the image /nonexistent.hex does not exist; check the --hex path' });
});

t.test('a port that does not exist points at ganglion doctor', async (t) => {
  const r = await run(t, ['--board', 'uno', '--port', '/dev/ttyNOPE0', '--hex', HERE]);
  t.equal(r.code, 1);
  t.equal(r.err, 'ganglion flash: serial port /dev/ttyNOPE0 does not exist; plug the board in, and run ganglion doctor to list serial ports\n');
});

t.test('avrdude missing says how to install it', async (t) => {
  await t.rejects(flash({ boardId: 'uno', port: '/dev/null', hex: HERE, avrdude: '/nonexistent/avrdude' }), {
    message: 'avrdude was not found (/nonexistent/avrdude); install it: npm run setup',
  });
});

t.test('an avrdude failure shows its last lines and what to try', async (t) => {
  // /dev/null exists and is writable, but it is no serial port: avrdude fails at once, as on a wrong port.
  const r = await run(t, ['--board', 'uno', '--port', '/dev/null', '--hex', HERE]);
  t.equal(r.code, 1);
  t.match(r.err, 'ganglion flash: avrdude failed (exit 1) flashing uno on /dev/null.');
  t.match(r.err, 'Is it the right port (ganglion doctor lists them)? Press the board\'s reset button just before flashing.');
  t.match(r.err, 'Old Nanos (old bootloader) need --baud 57600.');
  t.match(r.err, 'unable to open programmer arduino on port /dev/null');
});
