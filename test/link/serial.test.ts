// SerialTransport: OS errors become sentences that say what to do, the port is locked against a second opener,
// and bytes flow both ways (through the mock binding and a real pty).
import t from 'tap';
import { SerialPortMock } from 'serialport';
import { SerialTransport, mapOpenError, type SerialBinding } from '../../host/link/serial.ts';
import { TransportError } from '../../host/link/transport.ts';
import { loadBoard } from '../../host/hw/board.ts';
import { silentPty, until } from './helpers/posix.ts';

const uno = loadBoard('uno');
/** @serialport/binding-mock, reached through serialport (its own package has no ESM type entry). */
const MockBinding = SerialPortMock.binding;

t.test('permission denied (EACCES) -> dialout advice', async (t) => {
  // Tests run as root, so a real EACCES cannot be produced on a pty here. This binding fails the way the native
  // binding does on Linux: a plain Error with strerror's text and no errno code.
  const denying = {
    ...MockBinding,
    open: async () => { throw new Error('Error: Permission denied, cannot open /dev/ttyUSB0'); },
  } as unknown as SerialBinding;
  const tr = SerialTransport.forBoard('/dev/ttyUSB0', uno, denying);
  await t.rejects(tr.open(), {
    name: 'TransportError',
    code: 'permission',
    message: 'permission denied on /dev/ttyUSB0: add yourself to the dialout group (sudo usermod -aG dialout $USER), then log out and in',
  });
  t.notOk(tr.isOpen);
});

t.test('a port that does not exist -> plug-in advice (real binding)', async (t) => {
  const tr = SerialTransport.forBoard('/dev/ttyGANGLION_NOPE', uno);
  await t.rejects(tr.open(), { code: 'missing', message: 'no serial port /dev/ttyGANGLION_NOPE: is the board plugged in? `ganglion doctor` lists ports' });
});

t.test('a port another program holds -> busy (real lock on a real pty)', async (t) => {
  const path = await silentPty(t);
  const a = SerialTransport.forBoard(path, uno);
  await a.open();
  t.teardown(() => a.close());
  const b = SerialTransport.forBoard(path, uno);
  await t.rejects(b.open(), { code: 'busy', message: `${path} is busy: another program has it open (a serial monitor? ModemManager?)` });
});

t.test('error text mapping covers the errno spellings too', async (t) => {
  t.equal(mapOpenError('/dev/x', Object.assign(new Error('x'), { code: 'EBUSY' })).code, 'busy');
  t.equal(mapOpenError('/dev/x', Object.assign(new Error('x'), { code: 'ENOENT' })).code, 'missing');
  t.equal(mapOpenError('/dev/x', new Error('Input/output error')).code, 'io');
});

t.test('bytes flow both ways and close is reported without an error (mock binding)', async (t) => {
  MockBinding.reset();
  MockBinding.createPort('/dev/ttyMOCK0', { echo: true });
  const tr = new SerialTransport({ path: '/dev/ttyMOCK0', baudRate: uno.baud, binding: MockBinding as unknown as SerialBinding });
  const got: number[] = [];
  const closes: (Error | undefined)[] = [];
  tr.onData((b) => got.push(...b));
  tr.onClose((e) => closes.push(e));
  await tr.open();
  tr.write(Uint8Array.from([1, 2, 3]));
  await until('echo', () => got.length === 3);
  t.same(got, [1, 2, 3]);
  await tr.close();
  t.notOk(tr.isOpen);
  t.throws(() => tr.write(Uint8Array.of(1)), TransportError);
  await until('close event', () => closes.length === 1);
  t.equal(closes[0], undefined, 'a requested close carries no error');
  await tr.open(); // reopen works: a replugged device comes back at the same path
  t.ok(tr.isOpen);
  await tr.close();
});
