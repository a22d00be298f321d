// Reliable commands against the posix firmware: refusals come back as errors that name the pin or channel, and a
// refused config item in the wiring fails connect() naming the wiring item and its pin.
import t from 'tap';
import { SerialTransport } from '../../host/link/serial.ts';
import { McuSession } from '../../host/link/session.ts';
import { CommandRefused } from '../../host/link/errors.ts';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { referenceNode, startMcu } from './helpers/posix.ts';

t.test('a command with a bad pin is refused naming the pin, and the link carries on', async (t) => {
  const mcu = await startMcu(t);
  const { node, board } = referenceNode('arm');
  const s = new McuSession({ transport: SerialTransport.forBoard(mcu.ptyPath!, board), node, board });
  t.teardown(() => s.close());
  await s.connect();

  const err = await s.command('config_servo', { index: 1, pin: 240, min_us: 1000, max_us: 2000, default_us: 0 }).then(() => null, (e: unknown) => e);
  t.ok(err instanceof CommandRefused, 'rejected with CommandRefused');
  const r = err as CommandRefused;
  t.equal(r.mcuCode, CONSTANTS.ERR.BAD_PIN);
  t.equal(r.arg, 240);
  t.match(r.message, /refused config_servo: pin 240: BAD_PIN/);

  // Servo 0 sits on D9; a second servo on the same pin is PIN_IN_USE, named with the board's pin name.
  const inUse = await s.command('config_servo', { index: 1, pin: 9, min_us: 1000, max_us: 2000, default_us: 0 }).then(() => null, (e: unknown) => e);
  t.match((inUse as Error).message, /pin D9 \(PB1\): PIN_IN_USE/);

  const badIndex = await s.command('set_position', { index: 3, counts: 0 }).then(() => null, (e: unknown) => e);
  t.match((badIndex as CommandRefused).message, /refused set_position: index 3: NOT_CONFIGURED/);

  t.equal(await s.command('set_position', { index: 0, counts: 1234 }), null, 'a good command resolves on its ack');
  t.ok((await s.ping()) > 0, 'the link still works');
});

t.test('values that do not fit the wire are refused before anything is sent', async (t) => {
  const mcu = await startMcu(t);
  const { node, board } = referenceNode('base');
  const s = new McuSession({ transport: SerialTransport.forBoard(mcu.ptyPath!, board), node, board });
  t.teardown(() => s.close());
  await s.connect();
  const sent = s.stats().framesSent;
  await t.rejects(s.command('set_servo', { index: 0, pulse_us: 70000 }), /pulse_us/);
  t.equal(s.stats().framesSent, sent);
});

t.test('a wiring item the MCU refuses fails connect, naming the item and its pin', async (t) => {
  const mcu = await startMcu(t);
  const { node, board } = referenceNode('arm');
  // The gripper moved onto D5, which motor 0 already uses for PWM.
  const bad = { ...node, servos: node.servos.map((sv) => ({ ...sv, pin: 'D5' })) };
  const s = new McuSession({ transport: SerialTransport.forBoard(mcu.ptyPath!, board), node: bad, board });
  t.teardown(() => s.close());
  await t.rejects(s.connect(), {
    code: 'config',
    message: `MCU on ${mcu.ptyPath} refused servo 0 'gripper': signal pin D5 (PD5): PIN_IN_USE (pin already used by another channel)`,
  });
});

t.test('a wiring pin the board does not have is refused before the port is opened', async (t) => {
  const { node, board } = referenceNode('arm');
  const bad = { ...node, servos: node.servos.map((sv) => ({ ...sv, pin: 'D99' })) };
  const transport = SerialTransport.forBoard('/dev/null-not-opened', board);
  t.throws(() => new McuSession({ transport, node: bad, board }), { code: 'config', message: /servo 0 'gripper': signal pin D99 is not a pin of board 'sim-uno'/ });
});
