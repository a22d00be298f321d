// Motor plant + quadrature encoder against the real firmware: counts in telemetry follow the shaft, both directions, no lost edges.
import t from 'tap';
import { countsPerRad } from '../../host/hw/robot.ts';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { bootNode, holdMotors } from './boot-node.ts';

t.test('PWM spins the wheel up and telemetry counts match the plant angle', (t) => {
  const b = bootNode('base');
  const { node, link, wiring } = b;
  link.configure(wiring, b.board);
  node.runFor(5);
  const m0 = wiring.motors[0]!;
  // Sample the plant every ms beside the telemetry: the count a frame carries must be the plant's at that time.
  const plantAt: { t_ms: number; counts: number }[] = [];
  holdMotors(b, 300, { 0: { mode: 'PWM', value: 600 } }, () =>
    plantAt.push({ t_ms: node.time_ms, counts: (node.motorState(0).joint_rad - m0.plant.initial_rad) * countsPerRad(m0) }),
  );
  const s = node.motorState(0);
  t.equal(s.direction, 'forward');
  t.ok(Math.abs(s.pwm_duty - 0.6) < 0.01, `PWM duty ${s.pwm_duty.toFixed(3)} for 600 permille`);
  t.ok(s.joint_rad_s > 20, `wheel turns at ${s.joint_rad_s.toFixed(1)} rad/s`);
  const tele = link.all('telemetry').filter((x) => x.counts[0]! > 100);
  t.ok(tele.length > 20, `${tele.length} telemetry frames while moving`);
  let worst = 0;
  for (const f of tele) {
    // The frame was sampled before it reached the host; compare with the plant around then, allowing the motion in between.
    const near = plantAt.filter((p) => Math.abs(p.t_ms - f.t_ms) <= 1);
    if (near.length === 0) continue;
    const lo = Math.min(...near.map((p) => p.counts));
    const hi = Math.max(...near.map((p) => p.counts));
    const off = f.counts[0]! < lo ? lo - f.counts[0]! : f.counts[0]! > hi ? f.counts[0]! - hi : 0;
    worst = Math.max(worst, off);
  }
  t.ok(worst <= 3, `telemetry counts within ${worst.toFixed(1)} counts of the plant`);

  // Stop, let it coast to rest: then the firmware's count and the plant's angle must agree to the count.
  holdMotors(b, 800, { 0: { mode: 'PWM', value: 0 } });
  const still = node.motorState(0);
  t.equal(still.joint_rad_s, 0, 'wheel at rest');
  const last = link.last('telemetry')!;
  const expected = (still.joint_rad - m0.plant.initial_rad) * countsPerRad(m0);
  t.ok(Math.abs(last.counts[0]! - expected) <= 1, `counts ${last.counts[0]} vs angle*cpr*gear/2pi = ${expected.toFixed(2)}`);
  t.equal(last.counts[0], still.encoder_counts, 'no edge lost or added');
  t.end();
});

t.test('quadrature direction is right both ways, also with inverted direction and encoder (right wheel)', (t) => {
  const b = bootNode('base');
  const { node, link, wiring } = b;
  link.configure(wiring, b.board);
  node.runFor(5);
  holdMotors(b, 200, { 0: { mode: 'PWM', value: -500 }, 1: { mode: 'PWM', value: 500 } });
  const left = node.motorState(0);
  const right = node.motorState(1);
  const tele = link.last('telemetry')!;
  t.equal(left.direction, 'reverse', 'left: IN1 low, IN2 high');
  t.ok(left.output_rad < -1, `left wheel turned backwards (${left.output_rad.toFixed(2)} rad)`);
  t.ok(tele.counts[0]! < -100, `left counts negative (${tele.counts[0]})`);
  t.equal(right.direction, 'reverse', 'right: invert_dir flips the bridge for a positive command');
  t.ok(right.output_rad < -1, 'right shaft turns physically backwards');
  t.ok(right.joint_rad > 1, 'which is forward in the joint frame');
  t.ok(tele.counts[1]! > 100, `right counts positive (${tele.counts[1]}): invert_encoder undoes the wiring`);
  t.ok(Math.abs(tele.counts[1]! - right.encoder_counts) < 20, 'and match the plant');
  t.end();
});

t.test('a fixed 5 kHz edge rate on the encoder pins is counted exactly (load-test drive)', (t) => {
  const b = bootNode('base');
  const { node, link, wiring } = b;
  link.configure(wiring, b.board, { arm: false });
  const before = link.waitFor('telemetry', 20).counts[0]!;
  node.driveEncoder(0, 5000);
  node.runFor(200);
  node.driveEncoder(0, null);
  node.runFor(10);
  const after = link.last('telemetry')!.counts[0]!;
  t.equal(after - before, 1000, '200 ms at 5000 edges/s = 1000 counts');
  t.equal(node.motorState(0).joint_rad, 0, 'the motor model did not move');
  node.driveEncoder(0, -5000);
  node.runFor(100);
  node.driveEncoder(0, null);
  node.runFor(10);
  t.equal(link.last('telemetry')!.counts[0]! - after, -500, 'negative rate counts down');
  t.equal(link.last('status')!.overruns, link.all('status')[0]!.overruns, 'no control-tick overruns under the load');
  t.end();
});

t.test('arm joint runs into its hard stop: limit switch closes, firmware reports it and stops pushing', (t) => {
  const b = bootNode('arm');
  const { node, link, wiring } = b;
  link.configure(wiring, b.board);
  node.runFor(5);
  holdMotors(b, 1500, { 0: { mode: 'PWM', value: -700 } });
  const s = node.motorState(0);
  t.equal(s.at_stop, 'neg', 'shoulder against its negative stop');
  t.ok(Math.abs(s.output_rad - wiring.motors[0]!.plant.hard_stops_rad![0]) < 1e-9, 'the output cannot pass the stop');
  t.equal(s.limit_neg_closed, true);
  const st = link.last('status')!;
  t.ok(st.inputs & (1 << 4), 'status.inputs bit 4: a limit of motor 0 is active');
  t.ok(link.all('event').some((e) => e.code === CONSTANTS.EVENT.LIMIT_HIT && e.arg === 0), 'LIMIT_HIT event for motor 0');
  t.ok(link.last('telemetry')!.faults & CONSTANTS.FAULT.LIMIT, 'LIMIT fault bit');
  t.equal(s.pwm_duty, 0, 'no more drive into the stop');
  t.end();
});
