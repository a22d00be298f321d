// Handshake, configuration and arming against the real posix firmware over a real pty, and the refusals a user
// reads when the firmware, the board or the node id do not match.
import t from 'tap';
import path from 'node:path';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { PROTO_HASH } from '../../host/protocol/messages.gen.ts';
import { loadBoard } from '../../host/hw/board.ts';
import { SerialTransport } from '../../host/link/serial.ts';
import { McuSession } from '../../host/link/session.ts';
import { LinkError } from '../../host/link/errors.ts';
import { hex32 } from '../../host/link/texts.ts';
import { referenceNode, silentPty, startMcu, tempDir, until } from './helpers/posix.ts';

const F = CONSTANTS.FAULT;

t.test('connect identifies, stores the node id, configures from the wiring, and arm enables outputs', async (t) => {
  const eeprom = path.join(tempDir(t), 'eeprom.bin');
  const mcu = await startMcu(t, eeprom);
  const { node, board } = referenceNode('base');
  const s = new McuSession({ transport: SerialTransport.forBoard(mcu.ptyPath!, board), node, board });
  t.teardown(() => s.close());
  const events: string[] = [];
  s.on('event', (e) => events.push(e.name));

  const id = await s.connect();
  t.equal(id.proto_hash, PROTO_HASH);
  t.equal(id.mcu, CONSTANTS.MCU.POSIX);
  t.equal(id.nodeId, '', 'a fresh EEPROM has no node id, so the session stores one');
  t.equal(s.state, 'connected');
  await until('telemetry after configuration', () => s.mcuState !== null && !(s.mcuState.faults & F.UNCONFIGURED));
  t.ok(s.mcuState!.faults & F.DISARMED, 'connect leaves the MCU disarmed');

  await s.arm();
  await until('armed telemetry', () => !(s.mcuState!.faults & F.DISARMED));
  t.ok(events.includes('ARMED'), 'the ARMED event arrives with readable text');

  // Motor 0 is wired (config_motor went through): a PWM setpoint moves the plant's encoder.
  const start = s.mcuState!.counts[0]!;
  s.setMotors([CONSTANTS.MODE.PWM], [600]);
  await until('motor 0 to turn', () => s.mcuState!.outPermille[0] === 600 && s.mcuState!.counts[0]! > start + 50);

  const rttUs = await s.ping();
  t.ok(rttUs > 0, `ping round trip ${rttUs} us`);
  const st = s.stats();
  t.ok(st.rtt.srttMs !== null && st.rtt.minMs !== null, 'RTT measured');
  t.equal(st.host.crcErrors, 0);
  t.ok(st.telemetry.telemetryFrames > 0);
  await s.close();
  await mcu.stop();

  // The node id went to the EEPROM file: a restarted firmware reports it.
  const mcu2 = await startMcu(t, eeprom);
  const s2 = new McuSession({ transport: SerialTransport.forBoard(mcu2.ptyPath!, board), node, board });
  t.teardown(() => s2.close());
  t.equal((await s2.connect()).nodeId, 'base');
});

t.test('a board that holds another node id is refused, naming both', async (t) => {
  const eeprom = path.join(tempDir(t), 'eeprom.bin');
  const arm = referenceNode('arm');
  const first = await startMcu(t, eeprom);
  const s1 = new McuSession({ transport: SerialTransport.forBoard(first.ptyPath!, arm.board), node: arm.node, board: arm.board });
  await s1.connect(); // stores 'arm'
  await s1.close();
  await first.stop();

  const mcu = await startMcu(t, eeprom);
  const { node, board } = referenceNode('base');
  const s = new McuSession({ transport: SerialTransport.forBoard(mcu.ptyPath!, board), node, board });
  t.teardown(() => s.close());
  await t.rejects(s.connect(), { code: 'wrong_board', message: `wrong board on ${mcu.ptyPath}: it is the 'arm' node, expected 'base'` });
  t.equal(s.state, 'idle');
});

t.test('a protocol hash mismatch is refused in one sentence with the fix', async (t) => {
  const mcu = await startMcu(t);
  const { node, board } = referenceNode('base');
  const other = 0x1234abcd;
  const s = new McuSession({ transport: SerialTransport.forBoard(mcu.ptyPath!, board), node, board, expectedProtoHash: other });
  t.teardown(() => s.close());
  const port = mcu.ptyPath!;
  await t.rejects(s.connect(), {
    code: 'protocol_mismatch',
    message: `firmware on ${port} speaks protocol ${hex32(PROTO_HASH)}, this host ${hex32(other)}: reflash it with \`ganglion flash --board ${board.id} --port ${port}\``,
  });
});

t.test('an MCU type that differs from the board profile is refused', async (t) => {
  const mcu = await startMcu(t);
  const { node } = referenceNode('base');
  const uno = loadBoard('uno'); // says atmega328p; the posix firmware reports POSIX
  const s = new McuSession({ transport: SerialTransport.forBoard(mcu.ptyPath!, uno), node, board: uno });
  t.teardown(() => s.close());
  await t.rejects(s.connect(), { code: 'wrong_board', message: /^wrong board on .*: it reports MCU type posix, board profile 'uno' expects atmega328p$/ });
});

t.test('silence on the port: "no answer" with the baud and what to check', async (t) => {
  const port = await silentPty(t);
  const { node, board } = referenceNode('base');
  const s = new McuSession({ transport: SerialTransport.forBoard(port, board), node, board, identify_timeout_ms: 600 });
  t.teardown(() => s.close());
  const err = await s.connect().then(() => null, (e: unknown) => e);
  t.ok(err instanceof LinkError);
  t.equal((err as LinkError).message, `no answer from ${port} at ${board.baud} baud: is the Ganglion firmware flashed (\`ganglion flash\`) and the baud right?`);
});
