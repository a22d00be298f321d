// The real firmware in the emulator: boot event over the USART, identify, and watchdog-free steady running.
import t from 'tap';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { PROTO_HASH } from '../../host/protocol/messages.gen.ts';
import { bootNode } from './boot-node.ts';

t.test('boot event arrives over the USART within a few ms of power-on', (t) => {
  const { node, link } = bootNode('base', 0);
  const boot = link.waitFor('event', 10, (e) => e.code === CONSTANTS.EVENT.BOOT);
  t.equal(boot.arg & 0x01, 0x01, 'reset flags say power-on (PORF)');
  t.ok(boot.t_ms < 10, `boot event at ${boot.t_ms.toFixed(2)} ms emulated`);
  t.equal(node.mcu.resets, 0);
  t.end();
});

t.test('identify answers with this protocol hash, and the clock runs steadily', (t) => {
  const { node, link } = bootNode('arm');
  link.identify();
  const r = link.waitFor('identify_reply', 5);
  t.equal(r.proto_hash, PROTO_HASH, 'firmware and host share the message table');
  t.equal(r.mcu, CONSTANTS.MCU.ATMEGA328P);
  link.send('ping', { token: 0x1234abcd });
  t.equal(link.waitFor('pong', 5).token, 0x1234abcd, 'pong echoes the token');
  node.runFor(10);
  link.send('ping', { token: 6 });
  const p1 = link.waitFor('pong', 5);
  node.runFor(100);
  link.send('ping', { token: 7 });
  const p2 = link.waitFor('pong', 5);
  const mcuElapsed_us = p2.time_us - p1.time_us;
  const emuElapsed_us = (p2.t_ms - p1.t_ms) * 1000;
  t.ok(Math.abs(mcuElapsed_us - emuElapsed_us) < 20, `MCU clock ${mcuElapsed_us} us vs emulated ${emuElapsed_us.toFixed(0)} us`);
  node.runFor(300);
  t.equal(node.mcu.resets, 0, 'the hardware watchdog never fired');
  t.equal(node.mcu.baudErrors, 0, 'the firmware transmits at 1 Mbaud');
  t.end();
});
