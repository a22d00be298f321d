// StandardFirmata (the real hex) in avr8js through johnny-five: ready + versions, servo pulses, sweep, sensor, button.
import t from 'tap';
import { j5 } from '../../host/firmata/j5.ts';
import { FirmataRig } from '../../host/firmata/rig.ts';
import { resolvePin } from '../../host/emulator/wiring.ts';
import { bootAndConnect, pulseRecorder, sleep, until } from './boot.ts';

t.test('StandardFirmata on the emulated Uno, driven through johnny-five', async (t) => {
  const b = await bootAndConnect();
  t.teardown(() => b.stop());
  const { conn, node } = b;

  t.test('the Board is ready and reports firmware name and version', async (t) => {
    t.ok(conn.board.isReady, 'johnny-five Board emitted ready');
    t.equal(conn.firmware.name, 'StandardFirmata.ino', 'firmware name from REPORT_FIRMWARE');
    t.equal(conn.protocol.major, 2, 'Firmata protocol major 2');
    t.ok(conn.protocol.minor >= 3, `protocol minor ${conn.protocol.minor} >= 3`);
    t.ok(conn.io.analogPins.length === 6, 'six analog pins from the analog mapping query');
  });

  t.test('Servo.to(90) puts a 1.5 ms pulse at ~50 Hz on the pin; a sweep reaches each angle', async (t) => {
    const { five } = j5();
    const pin = resolvePin(b.board, 'D9', 'test').pin;
    const rec = pulseRecorder(node, pin);
    const servo = new five.Servo({ board: conn.board, pin: 9 }); // johnny-five's default pwmRange 600-2400 us
    servo.to(90);
    await until(() => rec.pulses.filter((p) => Math.abs(p.width_us - 1500) < 100).length >= 6, '6 pulses near 1500 us');
    const last = rec.pulses.slice(-5);
    for (const p of last) t.ok(Math.abs(p.width_us - 1500) <= 20, `pulse ${p.width_us.toFixed(1)} us is 1500 +- 20 us`);
    const periods = last.slice(1).map((p, i) => p.end_us - last[i]!.end_us);
    for (const T of periods) t.ok(Math.abs(T - 20_000) <= 1000, `period ${T.toFixed(0)} us (${(1e6 / T).toFixed(1)} Hz, ~50 Hz)`);

    for (const deg of [0, 45, 135, 180, 90]) {
      servo.to(deg);
      const want_us = 600 + (1800 * deg) / 180;
      await until(() => rec.pulses.length > 0 && Math.abs(rec.pulses.at(-1)!.width_us - want_us) <= 20, `pulse for ${deg} deg`);
      // The servo plant slews at a real servo's speed: wait for the horn, measured from the decoded pulses.
      const want_rad = Math.min(Math.PI, Math.max(0, ((want_us - 1000) / 1000) * Math.PI));
      await until(() => Math.abs(node.snapshot().servos[0]!.angle_rad - want_rad) < 0.02, `horn at ${deg} deg`);
      t.ok(Math.abs(rec.pulses.at(-1)!.width_us - want_us) <= 20, `${deg} deg -> ${rec.pulses.at(-1)!.width_us.toFixed(1)} us (want ${want_us})`);
    }
  });

  t.test('a Sensor on A0 reads the voltage the plant puts there', async (t) => {
    const rig = new FirmataRig(conn, b.wiring, b.board);
    for (const volts of [1.25, 3.75]) {
      node.setPot('pot', volts);
      const want = Math.round((volts / 5) * 1023);
      await until(() => Math.abs((rig.sensor(0).raw ?? -99) - want) <= 3, `A0 near ${want}`);
      t.ok(Math.abs(rig.analogVolts(0)! - volts) < 0.02, `A0 reads ${rig.analogVolts(0)!.toFixed(3)} V for ${volts} V`);
    }

    const btn = rig.button(0);
    const events: string[] = [];
    btn.on('press', () => events.push('press'));
    btn.on('release', () => events.push('release'));
    await sleep(100);
    node.pressButton('btn');
    await until(() => events.includes('press'), 'Button press');
    node.releaseButton('btn');
    await until(() => events.includes('release'), 'Button release');
    t.same(events, ['press', 'release'], 'the Button saw the pin the plant toggled, once each way');
  });
});

// johnny-five keeps its components' intervals alive; the emulator is stopped in teardown, so end the process.
t.teardown(() => setTimeout(() => process.exit(), 50));
