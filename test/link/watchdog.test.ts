// The MCU's link watchdog, seen through the session: silence from the host trips it (outputs to defaults,
// WATCHDOG_TRIPPED, an event), nothing recovers by itself, and an explicit arm() does.
import t from 'tap';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { SerialTransport } from '../../host/link/serial.ts';
import { McuSession, type McuEvent } from '../../host/link/session.ts';
import { LossyTransport } from './helpers/lossy-transport.ts';
import { referenceNode, sleep, startMcu, until } from './helpers/posix.ts';

const F = CONSTANTS.FAULT;
const PWM = CONSTANTS.MODE.PWM;

t.test('no heartbeats -> WATCHDOG_TRIPPED and outputs 0; re-arm recovers', async (t) => {
  const mcu = await startMcu(t);
  const { node, board } = referenceNode('base');
  const lossy = new LossyTransport(SerialTransport.forBoard(mcu.ptyPath!, board));
  const s = new McuSession({ transport: lossy, node, board });
  t.teardown(() => s.close());
  const events: McuEvent[] = [];
  s.on('event', (e) => events.push(e));
  await s.connect();
  await s.arm();
  s.setMotors([PWM, PWM], [400, 400]);
  await until('outputs on', () => s.mcuState?.outPermille[0] === 400);

  // Heartbeats keep an idle armed link alive well past the 100 ms window.
  await sleep(4 * node.watchdog_ms);
  t.notOk(s.mcuState!.faults & F.WATCHDOG_TRIPPED, 'heartbeats keep the watchdog fed');
  t.equal(s.mcuState!.outPermille[0], 400);

  lossy.blockWrites = true; // the host goes silent; telemetry still flows back
  await until('the watchdog to trip', () => (s.mcuState!.faults & F.WATCHDOG_TRIPPED) !== 0);
  t.same(s.mcuState!.outPermille, [0, 0, 0, 0], 'outputs at their defaults');
  t.ok(s.mcuState!.faults & F.DISARMED);
  t.ok(s.stats().watchdogTripped);
  await until('the WATCHDOG_TRIP event', () => events.some((e) => e.name === 'WATCHDOG_TRIP'));
  t.match(events.find((e) => e.name === 'WATCHDOG_TRIP')!.text, /watchdog tripped/);

  lossy.blockWrites = false;
  t.ok((await s.ping()) > 0, 'the link recovers by retransmission');
  s.setMotors([PWM, PWM], [400, 400]);
  await sleep(50);
  t.ok(s.mcuState!.faults & F.WATCHDOG_TRIPPED, 'a trip stays latched: setpoints alone do not re-enable');
  t.equal(s.mcuState!.outPermille[0], 0);

  await s.arm();
  s.setMotors([PWM, PWM], [400, 400]);
  await until('outputs back after re-arm', () => s.mcuState!.outPermille[0] === 400);
  t.notOk(s.mcuState!.faults & (F.WATCHDOG_TRIPPED | F.DISARMED));
  t.notOk(s.stats().watchdogTripped);
});
