// Led/Pin outputs of a Firmata board (robot schema `outputs`): driven through johnny-five's Led (PWM) and Pin (digital)
// on the real StandardFirmata in avr8js, measured on the emulated pins, and put at their defaults by the host deadman.
import t from 'tap';
import { FirmataNode } from '../../host/firmata/node.ts';
import { checkRobot } from '../../host/hw/check.ts';
import { loadRobot, NodeSchema } from '../../host/hw/robot.ts';
import { bootAndConnect, FIRMATA_ARM, until } from './boot.ts';

const arm = loadRobot(FIRMATA_ARM);
/** The firmata-arm node with a lamp on D6 (PWM, off when safe) and a beacon on D13 (digital, on when safe). */
const wiring = NodeSchema.parse({
  ...arm.nodes[0]!,
  outputs: [
    { index: 0, name: 'lamp', pin: 'D6', mode: 'pwm', default_permille: 0 },
    { index: 1, name: 'beacon', pin: 'D13', mode: 'digital', default_permille: 1000 },
  ],
});

t.test('the wiring checks take outputs on a Firmata board and refuse them elsewhere or on the wrong pin', async (t) => {
  t.same(checkRobot({ ...arm, nodes: [wiring] }).map((p) => p.message), [], 'lamp on D6 (PWM) and beacon on D13 pass');
  const noPwm = { ...wiring, outputs: [{ index: 0, name: 'lamp', pin: 'D9', mode: 'pwm' as const, default_permille: 0 }] };
  t.match(checkRobot({ ...arm, nodes: [noPwm] }).map((p) => p.message).join('\n'), /pwm output lamp.*D9/, 'a PWM output on a pin without PWM is refused');
  const halfDigital = { ...wiring, outputs: [{ index: 1, name: 'beacon', pin: 'D13', mode: 'digital' as const, default_permille: 300 }] };
  t.match(checkRobot({ ...arm, nodes: [halfDigital] }).map((p) => p.message).join('\n'), /digital output beacon has default_permille 300/);
  const ganglion = loadRobot();
  const onGanglion = { ...ganglion, nodes: ganglion.nodes.map((n) => (n.id === 'leader' ? { ...n, outputs: [{ index: 0, name: 'lamp', pin: 'D6', mode: 'pwm' as const, default_permille: 0 }] } : n)) };
  t.match(checkRobot(onGanglion).map((p) => p.message).join('\n'), /output lamp is for Firmata boards/, 'an output on a Ganglion board is refused, with the fix');
});

t.test('Led (PWM) and Pin (digital) outputs reach the pins; the deadman puts them at their defaults', async (t) => {
  const b = await bootAndConnect(wiring);
  t.teardown(() => b.stop());
  const fir = new FirmataNode({ conn: b.conn, wiring, board: b.board, log: () => {} });
  t.teardown(() => fir.deadman.stop());
  await fir.arm();
  const kick = setInterval(() => fir.kick(), 20);
  t.teardown(() => clearInterval(kick));

  fir.rig.setOutputPermille(0, 500);
  fir.rig.setOutputPermille(1, 0);
  await until(() => Math.abs(b.node.pinDuty('D6') - 0.5) < 0.02 && !b.node.pinLevel('D13'), 'lamp at 50 % on D6, beacon low on D13');
  t.ok(Math.abs(b.node.pinDuty('D6') - 0.5) < 0.02, `lamp 500 permille -> duty ${b.node.pinDuty('D6').toFixed(3)} on D6 (Led.brightness)`);
  t.equal(b.node.pinLevel('D13'), false, 'beacon 0 -> D13 low (Pin.low)');
  fir.rig.setOutputPermille(1, 1000);
  await until(() => b.node.pinLevel('D13'), 'beacon high on D13');
  fir.rig.setOutputPermille(1, 0);
  await until(() => !b.node.pinLevel('D13'), 'beacon low again on D13');
  t.same([...fir.rig.outputPermille()], [[0, 500], [1, 0]], 'the rig reports what each output was set to');

  // The loop stalls: no kick for longer than the node's watchdog_ms; the deadman puts every output at its default.
  clearInterval(kick);
  await until(() => fir.deadman.tripped !== null, 'the deadman tripped by the stalled loop', 5000);
  await until(() => b.node.pinDuty('D6') === 0 && b.node.pinLevel('D13'), () => `lamp off and beacon on (duty ${b.node.pinDuty('D6')}, D13 ${b.node.pinLevel('D13')})`, 5000);
  t.pass(`stall (${fir.deadman.tripped!.reason}): lamp PWM 0 on D6, beacon high on D13 (its default_permille 1000)`);
});

// johnny-five keeps its components' intervals alive; the emulator is stopped in teardown, so end the process.
t.teardown(() => setTimeout(() => process.exit(), 50));
