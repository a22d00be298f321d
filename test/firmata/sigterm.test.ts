// `ganglion run` on a Firmata robot, the host in a child process over a pty and StandardFirmata in avr8js here: it warns
// once that SIGKILL leaves the last state, and a SIGTERM brings every output to its default, measured on the pins; a demo
// it cannot run is refused.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import t from 'tap';
import { LAST_STATE_WARNING } from '../../host/firmata/deadman.ts';
import { ROOT } from '../../host/hw/board.ts';
import { resolvePin } from '../../host/emulator/wiring.ts';
import { bootFirmataNode, FIRMATA_ARM, pulseRecorder, until } from './boot.ts';
import { boardOnPty } from './pty.ts';

t.test('SIGTERM of the host brings the Firmata board to its defaults', async (t) => {
  const b = bootFirmataNode();
  t.teardown(() => b.stop());
  const pair = await boardOnPty(t, b);

  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const host = spawn(process.execPath, [tsx, path.join(ROOT, 'host/cli/main.ts'), 'run', '--robot', FIRMATA_ARM, '--port', `fir=${pair.host}`, '--report', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  host.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  host.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => host.once('exit', (code) => resolve(code)));
  t.teardown(() => void host.kill('SIGKILL'));

  const d9 = pulseRecorder(b.node, resolvePin(b.board, 'D9', 'test').pin);
  const d10 = pulseRecorder(b.node, resolvePin(b.board, 'D10', 'test').pin);
  await until(() => out.join('').includes('driving the motion demo'), () => `the host drives (it said: ${out.join('')})`, 60_000);
  // The demo sweeps the servos and runs the conveyor: outputs far from their defaults before the signal.
  await until(() => b.node.pinDuty('D5') > 0.1 && d10.pulses.length > 5, 'conveyor PWM on D5 and wrist pulses on D10', 15_000);
  t.ok(b.node.pinDuty('D5') > 0.1, `conveyor duty ${b.node.pinDuty('D5').toFixed(2)} while the host runs`);
  const said = out.join('');
  t.equal(said.split(LAST_STATE_WARNING).length - 1, 1, 'the last-state warning is said once');
  t.match(said, 'a SIGKILL of the host or a cut cable leaves it in its last state');

  host.kill('SIGTERM');
  const code = await exited;
  t.equal(code, 143, 'the host exits 128 + SIGTERM after its deadman made the outputs safe');
  await until(() => b.node.pinDuty('D5') === 0 && !b.node.pinLevel('D4'), () => `conveyor PWM 0, direction low (duty ${b.node.pinDuty('D5')}, D4 ${b.node.pinLevel('D4')}; host said: ${out.join('').slice(-1500)})`, 10_000);
  t.pass('conveyor: PWM 0 on D5, D4 low');
  await until(() => d9.pulses.length > 0 && Math.abs(d9.pulses.at(-1)!.width_us - 1500) <= 20, 'gripper at its default 1500 us', 5000);
  t.ok(Math.abs(d9.pulses.at(-1)!.width_us - 1500) <= 20, `gripper ${d9.pulses.at(-1)!.width_us.toFixed(1)} us (default_us 1500)`);
  // The wrist's default_us is 0: its pulses stop and the pin stays low.
  const wristPulses = d10.pulses.length;
  await new Promise((r) => setTimeout(r, 300));
  t.equal(d10.pulses.length, wristPulses, 'wrist (default_us 0): no more pulses on D10');
  t.equal(b.node.pinLevel('D10'), false, 'D10 held low');
  t.match(out.join(''), 'host deadman tripped (signal): SIGTERM');
});

t.test('a Firmata-only robot refuses a demo other than motion, naming why', async (t) => {
  const tsx = createRequire(import.meta.url).resolve('tsx/cli');
  const r = spawnSync(process.execPath, [tsx, path.join(ROOT, 'host/cli/main.ts'), 'run', '--robot', FIRMATA_ARM, '--demo', 'idle', '--duration', '1'], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 1);
  t.match(r.stderr, /--demo idle: firmata-arm has Firmata boards only, and those run the motion demo \(no executor\)/);
});

t.teardown(() => setTimeout(() => process.exit(), 50));
