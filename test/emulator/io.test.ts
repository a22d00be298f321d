// Servo pulses, potentiometers, buttons and the e-stop against the real firmware, in emulated time.
import t from 'tap';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { ServoPlant } from '../../host/emulator/plant/servo.ts';
import { bootNode, holdMotors, keepAlive } from './boot-node.ts';

/** [us] a servo pulse may differ this much from the command: the firmware's edges come from ISRs with latency. */
const SERVO_TOL_US = 5;

t.test('servo pulse width is measured on the pin and moves the horn', (t) => {
  const b = bootNode('arm');
  const { node, link, wiring } = b;
  link.configure(wiring, b.board);
  node.runFor(50);
  t.equal(node.snapshot().servos[0]!.pulse_us, 0, 'default_us 0: no pulses while nothing is commanded');
  link.send('set_servo', { index: 0, pulse_us: 1500 });
  keepAlive(b, 60);
  const s = node.snapshot().servos[0]!;
  t.ok(Math.abs(s.pulse_us - 1500) <= SERVO_TOL_US, `pulse ${s.pulse_us.toFixed(2)} us measured on the pin`);
  t.equal(s.limp, false);
  keepAlive(b, 300);
  const mid = node.snapshot().servos[0]!;
  t.ok(Math.abs(mid.angle_rad - ServoPlant.targetRad(mid.pulse_us)) < 1e-6, 'the horn reached the commanded angle');
  t.ok(Math.abs(mid.angle_rad - Math.PI / 2) < 0.02, `near mid travel (${mid.angle_rad.toFixed(3)} rad)`);
  t.equal(link.last('status')!.servo_us[0], 1500, 'status reports the pulse being output');
  link.send('set_servo', { index: 0, pulse_us: 2400 });
  keepAlive(b, 60);
  t.ok(Math.abs(node.snapshot().servos[0]!.pulse_us - 2000) <= SERVO_TOL_US, 'clamped to max_us 2000');
  link.send('set_servo', { index: 0, pulse_us: 1000 });
  keepAlive(b, 500);
  const low = node.snapshot().servos[0]!;
  t.ok(Math.abs(low.pulse_us - 1000) <= SERVO_TOL_US && low.angle_rad < 0.02, `1000 us -> 0 rad (${low.angle_rad.toFixed(3)})`);
  link.send('set_servo', { index: 0, pulse_us: 0 });
  keepAlive(b, 100);
  t.equal(node.snapshot().servos[0]!.limp, true, 'pulse 0: the servo goes limp');
  t.end();
});

t.test('potentiometer voltages appear in status.analog', (t) => {
  const b = bootNode('leader');
  const { node, link, wiring } = b;
  link.configure(wiring, b.board, { arm: false });
  node.setPot('pot_shoulder', 2.5);
  node.setPot('pot_elbow', 1.0);
  node.runFor(50);
  const st = link.last('status')!;
  t.ok(Math.abs(st.analog[0]! - 512) <= 2, `2.5 V -> ${st.analog[0]} counts`);
  t.ok(Math.abs(st.analog[1]! - 205) <= 2, `1.0 V -> ${st.analog[1]} counts`);
  node.setPot(0, 5);
  node.runFor(50);
  t.ok(link.last('status')!.analog[0]! >= 1022, '5 V -> full scale');
  t.throws(() => node.setPot('pot_shoulder', 6), /outside 0..5 V/);
  t.end();
});

t.test('a button press shows in status.inputs; the e-stop stops the motors and blocks arming', (t) => {
  const leader = bootNode('leader');
  leader.link.configure(leader.wiring, leader.board, { arm: false });
  leader.node.runFor(30);
  t.equal(leader.link.last('status')!.inputs & 1, 0, 'button released');
  leader.node.pressButton('button');
  leader.node.runFor(30);
  t.equal(leader.link.last('status')!.inputs & 1, 1, 'button pressed');
  leader.node.releaseButton('button');
  leader.node.runFor(30);
  t.equal(leader.link.last('status')!.inputs & 1, 0, 'released again');

  const b = bootNode('base');
  const { node, link, wiring } = b;
  link.configure(wiring, b.board);
  holdMotors(b, 50, { 0: { mode: 'PWM', value: 500 } });
  t.ok(node.motorState(0).pwm_duty > 0.45, 'driving before the e-stop');
  node.pressEstop();
  holdMotors(b, 20, { 0: { mode: 'PWM', value: 500 } });
  t.equal(node.motorState(0).pwm_duty, 0, 'e-stop: PWM off');
  t.ok(link.last('telemetry')!.faults & CONSTANTS.FAULT.ESTOP, 'ESTOP fault');
  t.ok(link.all('event').some((e) => e.code === CONSTANTS.EVENT.ESTOP), 'ESTOP event');
  node.releaseEstop();
  holdMotors(b, 20, { 0: { mode: 'PWM', value: 500 } });
  t.equal(node.motorState(0).pwm_duty, 0, 'releasing the e-stop does not re-arm by itself');
  link.send('arm', {});
  holdMotors(b, 20, { 0: { mode: 'PWM', value: 500 } });
  t.ok(node.motorState(0).pwm_duty > 0.45, 're-armed after release');
  t.end();
});
