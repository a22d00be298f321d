// Host deadman on the real StandardFirmata: a stalled host loop brings servo and motor to their defaults, measured on the pins.
import t from 'tap';
import { FirmataDeadman } from '../../host/firmata/deadman.ts';
import { FirmataRig } from '../../host/firmata/rig.ts';
import { resolvePin } from '../../host/emulator/wiring.ts';
import { bootAndConnect, pulseRecorder, sleep, until } from './boot.ts';

t.test('a stalled loop trips the deadman within the window: PWM 0, servo to its default', async (t) => {
  const b = await bootAndConnect();
  t.teardown(() => b.stop());
  const rig = new FirmataRig(b.conn, b.wiring, b.board);
  const window_ms = b.wiring.watchdog_ms; // 500 in firmata-arm.json, as the loaded-machine tests use
  const dm = new FirmataDeadman({ window_ms, safe: () => rig.safe() });
  const rec = pulseRecorder(b.node, resolvePin(b.board, 'D9', 'test').pin);
  let loopOn = true;
  let lastKickAt = 0;
  const loop = setInterval(() => {
    if (!loopOn) return;
    rig.setServoUs(0, 2200);
    rig.setMotorPermille(0, 600);
    dm.kick();
    lastKickAt = performance.now();
  }, 10);
  t.teardown(() => clearInterval(loop));
  dm.start();
  await until(() => rec.pulses.length > 0 && Math.abs(rec.pulses.at(-1)!.width_us - 2200) <= 20, 'servo at 2200 us');
  await until(() => b.node.pinDuty('D5') > 0.5, 'motor PWM on D5');
  t.ok(Math.abs(b.node.pinDuty('D5') - 0.6) < 0.02, `motor duty ${b.node.pinDuty('D5').toFixed(3)} while the loop runs`);

  loopOn = false; // the loop stalls: no more ticks
  const stalledAt = performance.now();
  let trippedAt = 0;
  dm.once('trip', () => (trippedAt = performance.now()));
  await until(() => b.node.pinDuty('D5') === 0 && Math.abs(rec.pulses.at(-1)!.width_us - 1500) <= 20, 'safe outputs on the pins', 5000);
  const onPins_ms = performance.now() - stalledAt;
  t.equal(dm.tripped?.cause, 'stall', `tripped: ${dm.tripped?.reason}`);
  // The window runs from the last kick, which lands up to one loop period (or a late timer) before the stall is declared.
  t.ok(trippedAt - lastKickAt >= window_ms, `not before the window (${(trippedAt - lastKickAt).toFixed(0)} ms after the last kick >= ${window_ms} ms)`);
  // Within the window plus one check period (window/8) and the host + emulator turn-around on a loaded machine.
  t.ok(onPins_ms < window_ms * 1.125 + 500, `defaults on the pins ${onPins_ms.toFixed(0)} ms after the stall (window ${window_ms} ms)`);
  t.equal(b.node.pinLevel('D4'), false, 'direction pin low');
  dm.stop();
  await sleep(10);
});

t.teardown(() => setTimeout(() => process.exit(), 50));
