// The firmware's link watchdog in emulated time: when the host goes silent while armed, PWM stops within the window.
import t from 'tap';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { splitPin } from '../../host/emulator/avr.ts';
import { resolvePin } from '../../host/emulator/wiring.ts';
import { bootNode, holdMotors } from './boot-node.ts';

t.test('host silent while armed: PWM off within watchdog_ms, WATCHDOG_TRIP reported, re-arm recovers', (t) => {
  const b = bootNode('base');
  const { node, link, wiring } = b;
  const window_ms = wiring.watchdog_ms;
  link.configure(wiring, b.board);
  const pwmPin = resolvePin(b.board, wiring.motors[0]!.pwm, 'test').pin;
  t.ok(splitPin(pwmPin).port === 3, 'D5 is on port D');
  let lastRise_ms = -1;
  node.mcu.onPinChange((pin, high, cycles) => {
    if (pin === pwmPin && high) lastRise_ms = (cycles * 1000) / node.clock_hz;
  });
  holdMotors(b, 100, { 0: { mode: 'PWM', value: 500 } });
  link.setMotors({ 0: { mode: 'PWM', value: 500 } }); // the last frame: it is received one 10 us byte time per byte later
  const silentFrom_ms = node.time_ms + ((node.mcu.rxPending + 1) * 10) / 1000;
  t.ok(node.motorState(0).pwm_duty > 0.45, 'driving while the host talks');

  node.runFor(window_ms + 20);
  const stoppedAfter_ms = lastRise_ms - silentFrom_ms;
  t.comment(`link watchdog: last PWM pulse ${stoppedAfter_ms.toFixed(2)} ms after the host went silent (window ${window_ms} ms)`);
  t.ok(stoppedAfter_ms >= window_ms - 1, 'PWM kept running until the window expired');
  t.ok(stoppedAfter_ms <= window_ms + 2, 'and stopped within ~1 control tick after it');
  t.equal(node.motorState(0).pwm_duty, 0, 'PWM pin steady low');
  const trip = link.all('event').find((e) => e.code === CONSTANTS.EVENT.WATCHDOG_TRIP);
  t.ok(trip, 'WATCHDOG_TRIP event sent');
  t.ok(trip && trip.t_ms - silentFrom_ms <= window_ms + 3, `event reached the host ${trip ? (trip.t_ms - silentFrom_ms).toFixed(2) : '?'} ms after silence`);

  holdMotors(b, 20, { 0: { mode: 'PWM', value: 500 } });
  t.equal(node.motorState(0).pwm_duty, 0, 'setpoints alone do not revive a tripped node');
  t.ok(link.last('telemetry')!.faults & CONSTANTS.FAULT.WATCHDOG_TRIPPED, 'WATCHDOG_TRIPPED fault');
  link.send('arm', {});
  holdMotors(b, 20, { 0: { mode: 'PWM', value: 500 } });
  t.ok(node.motorState(0).pwm_duty > 0.45, 'explicit re-arm recovers');
  t.end();
});
