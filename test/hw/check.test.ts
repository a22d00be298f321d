// Wiring checks: the reference robot passes, and each kind of mistake is reported naming node, pin and use.
import t from 'tap';
import { loadBoard, listBoards } from '../../host/hw/board.ts';
import { assertRobotOk, checkRobot, pinList } from '../../host/hw/check.ts';
import { loadRobot, type Robot } from '../../host/hw/robot.ts';

const reference = loadRobot();

/** A copy of the reference robot with one mistake made by `edit`. */
function broken(edit: (r: Robot) => void): Robot {
  const r = structuredClone(reference);
  edit(r);
  return r;
}

function messages(r: Robot): string[] {
  return checkRobot(r).map((p) => p.message);
}

function node(r: Robot, id: string) {
  const n = r.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no node ${id}`);
  return n;
}

t.test('the reference robot passes', async (t) => {
  t.same(checkRobot(reference), []);
  t.doesNotThrow(() => assertRobotOk(reference));
});

t.test('the same robot on real boards passes too', async (t) => {
  for (const board of ['uno', 'nano']) {
    const r = broken((r) => r.nodes.forEach((n) => (n.board = board)));
    t.same(messages(r), [], board);
  }
});

t.test('a pin used twice names both uses', async (t) => {
  const r = broken((r) => (node(r, 'arm').servos[0]!.pin = 'D5'));
  t.same(messages(r), ['node "arm": pin D5 is used twice: motor shoulder pwm and servo gripper']);
  t.same(checkRobot(r)[0]!.pin, 'D5');
  t.throws(() => assertRobotOk(r), { message: 'node "arm": pin D5 is used twice: motor shoulder pwm and servo gripper' });
});

t.test('a pin used three times says so', async (t) => {
  const r = broken((r) => {
    node(r, 'arm').servos[0]!.pin = 'D5';
    node(r, 'arm').inputs[0]!.pin = 'D5';
  });
  t.match(messages(r)[0], 'pin D5 is used 3 times: motor shoulder pwm, servo gripper and e-stop estop');
});

t.test('motor PWM on a pin without PWM lists the PWM pins', async (t) => {
  const r = broken((r) => {
    const m = node(r, 'base').motors[0]!;
    m.pwm = 'D9';
    node(r, 'base').board = 'uno';
  });
  t.same(messages(r), ['node "base": motor wheel_left pwm is on D9, which has no PWM (PWM pins on uno: D3, D5, D6, D11)']);
});

t.test('an encoder on a pin without a pin-change interrupt lists the pins that have one', async (t) => {
  const r = broken((r) => {
    const n = node(r, 'base');
    n.board = 'mega2560';
    n.motors[0]!.enc_a = 'D22';
    n.motors[0]!.enc_b = 'D10'; // PCINT4 on the Mega: fine (D4 has no pin-change interrupt there)
    n.motors[1]!.enc_a = 'D18'; // INT3 but no PCINT: the firmware cannot decode it
    n.motors[1]!.enc_b = 'A8'; // PCINT16: fine
  });
  t.same(messages(r), [
    'node "base": encoder A of motor wheel_left is on D22, which has no pin-change interrupt; ' +
      'encoder pins on mega2560: D10-D15, D50-D53, A8-A15',
    'node "base": encoder A of motor wheel_right is on D18, which has no pin-change interrupt ' +
      '(its external interrupt is not used: the firmware decodes encoders on pin-change interrupts); ' +
      'encoder pins on mega2560: D10-D15, D50-D53, A8-A15',
  ]);
});

t.test('an unknown pin name lists the pins the board has', async (t) => {
  const r = broken((r) => (node(r, 'leader').inputs[0]!.pin = 'D14'));
  t.same(messages(r), ['node "leader": input button is on D14, which sim-uno does not have (its pins: D0-D13, A0-A5)']);
});

t.test('a reserved pin (the host UART) is refused', async (t) => {
  const r = broken((r) => (node(r, 'base').motors[0]!.in1 = 'D1'));
  t.same(messages(r), ['node "base": motor wheel_left in1 is on D1, which the firmware reserves (USART TX: the host link); move it to a free pin']);
});

t.test('analog input on a pin without ADC lists the ADC pins', async (t) => {
  const r = broken((r) => (node(r, 'leader').analog[1]!.pin = 'D7'));
  t.same(messages(r), ['node "leader": analog pot_elbow is on D7, which has no ADC (ADC pins on sim-uno: A0-A5)']);
});

t.test('limit switches need a digital pin', async (t) => {
  // A board with an ADC-only pin, like the Nano's A6/A7 (which boards/nano.json leaves out for exactly this reason).
  const nano = loadBoard('nano');
  const withAdcOnly = { ...nano, pins: { ...nano.pins, A6: { mcu_pin: 'PC6', caps: ['adc' as const], default: 'input' as const } } };
  const r = broken((r) => {
    node(r, 'arm').board = 'nano';
    node(r, 'arm').motors[0]!.limit_neg = 'A6';
  });
  const problems = checkRobot(r, (id) => (id === 'nano' ? withAdcOnly : loadBoard(id))).map((p) => p.message);
  t.same(problems, ['node "arm": negative limit switch of motor shoulder is on A6, which is not a digital pin (digital pins on nano: D2-D13, A0-A5)']);
});

t.test('an index used twice names both', async (t) => {
  const cases: [string, (r: Robot) => void, string][] = [
    ['motor', (r) => (node(r, 'base').motors[1]!.index = 0), 'node "base": motor index 0 is used twice: wheel_left and wheel_right; give each motor its own index'],
    ['analog', (r) => (node(r, 'leader').analog[1]!.index = 0), 'node "leader": analog index 0 is used twice: pot_shoulder and pot_elbow; give each analog its own index'],
    [
      'servo',
      (r) => node(r, 'arm').servos.push({ ...node(r, 'arm').servos[0]!, joint: 'wrist', pin: 'D10' }),
      'node "arm": servo index 0 is used twice: gripper and wrist; give each servo its own index',
    ],
    [
      'input',
      (r) => node(r, 'leader').inputs.push({ ...node(r, 'leader').inputs[0]!, name: 'button2', pin: 'D3' }),
      'node "leader": input index 0 is used twice: button and button2; give each input its own index',
    ],
  ];
  for (const [what, edit, expected] of cases) t.same(messages(broken(edit)), [expected], what);
});

t.test('servo ranges: min below max, default in range or 0', async (t) => {
  const inverted = broken((r) => Object.assign(node(r, 'arm').servos[0]!, { min_us: 2000, max_us: 1000 }));
  t.same(messages(inverted), ['node "arm": servo gripper has min_us 2000 >= max_us 1000; min_us must be below max_us']);
  const outside = broken((r) => (node(r, 'arm').servos[0]!.default_us = 2500));
  t.same(messages(outside), ['node "arm": servo gripper has default_us 2500, outside its range 1000-2000 us; use a pulse in that range, or 0 for no pulse']);
  const inRange = broken((r) => (node(r, 'arm').servos[0]!.default_us = 1500));
  t.same(messages(inRange), []);
});

t.test('an unknown board lists the known ones, and its pins are not checked', async (t) => {
  const r = broken((r) => (node(r, 'leader').board = 'due'));
  t.same(messages(r), [`node "leader": board "due" does not exist; use one of: ${listBoards().join(', ')}`]);
});

t.test('an H-bridge that needs two direction pins without in2', async (t) => {
  const r = broken((r) => (node(r, 'base').motors[0]!.in2 = null));
  t.same(messages(r), ['node "base": motor wheel_left uses a TB6612FNG, which needs both direction inputs; wire its in2 pin']);
  const drv = broken((r) => Object.assign(node(r, 'base').motors[0]!, { in2: null, driver: { part: 'DRV8871', channel: 'A' } }));
  t.same(messages(drv), []);
});

t.test('a node id used twice', async (t) => {
  const r = broken((r) => (node(r, 'leader').id = 'arm'));
  t.same(messages(r), ['node "arm": the node id is used twice; give every node its own id']);
});

t.test('assertRobotOk says how many more problems there are', async (t) => {
  const r = broken((r) => {
    node(r, 'leader').analog[1]!.pin = 'D7';
    node(r, 'leader').inputs[0]!.pin = 'D99';
  });
  t.throws(() => assertRobotOk(r), { message: /^node "leader": analog pot_elbow is on D7, .* \(and 1 more problem: run ganglion schematic to list them\)$/ });
});

t.test('pin lists shorten runs', async (t) => {
  t.equal(pinList(['D3', 'D5', 'D6', 'D11']), 'D3, D5, D6, D11');
  t.equal(pinList(['D2', 'D3', 'D4', 'D5', 'D13', 'A0', 'A1', 'A2']), 'D2-D5, D13, A0-A2');
});

t.test('the mega2560 board profile', async (t) => {
  const b = loadBoard('mega2560');
  t.equal(b.mcu, 'atmega2560');
  t.same(b.upload, { programmer: 'wiring', baud: 115200 });
  t.equal(Object.keys(b.pins).length, 54 + 16);
  t.same(b.reserved, ['D0', 'D1']);
  const withCap = (cap: string) => Object.keys(b.pins).filter((p) => b.pins[p]!.caps.includes(cap as never));
  t.same(withCap('interrupt'), ['D2', 'D3', 'D18', 'D19', 'D20', 'D21']);
  t.same(withCap('adc'), Array.from({ length: 16 }, (_, i) => `A${i}`));
  t.same(withCap('pwm'), ['D2', 'D3', 'D4', 'D5', 'D6', 'D7', 'D8', 'D9', 'D10', 'D13', 'D44', 'D45', 'D46'], 'timers 0, 2, 3, 4, 5; timer1 (D11, D12) is the tick');
  t.same(withCap('pcint'), ['D10', 'D11', 'D12', 'D13', 'D14', 'D15', 'D50', 'D51', 'D52', 'D53', 'A8', 'A9', 'A10', 'A11', 'A12', 'A13', 'A14', 'A15']);
  t.equal(b.pins.D2!.mcu_pin, 'PE4');
  t.equal(b.pins.A8!.mcu_pin, 'PK0');
  t.equal(b.pins.D53!.mcu_pin, 'PB0');
});
