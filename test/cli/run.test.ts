// `ganglion run` end to end: the emulated robot (default) and the posix firmware over real ptys (the serial path).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ganglion = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(ROOT, 'bin/ganglion.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

t.test('--help lists the commands', async (t) => {
  const r = ganglion('--help');
  t.equal(r.status, 0);
  for (const c of ['run', 'flash', 'doctor', 'schematic']) t.match(r.stdout, new RegExp(`\\n  ${c} `), `lists ${c}`);
});

t.test('an unknown option is refused with a clear message', async (t) => {
  const r = ganglion('run', '--bogus');
  t.not(r.status, 0);
  t.match(r.stderr, /bogus/);
});

t.test('a real board without a port is refused, naming the fix', async (t) => {
  const robot = path.join(ROOT, 'test/cli/fixtures/real-uno-robot.json');
  const r = ganglion('run', '--robot', robot, '--duration', '1');
  t.not(r.status, 0);
  t.match(r.stderr, /--port base=\/dev\/ttyUSB0/);
});

for (const mode of [['--posix'], []]) {
  const label = mode.length ? 'posix firmware over ptys' : 'emulated Unos (avr8js)';
  t.test(`run drives the robot: ${label}`, async (t) => {
    const r = ganglion('run', ...mode, '--demo', 'motion', '--duration', '6', '--report', '1');
    t.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    for (const node of ['base', 'arm', 'leader']) {
      t.match(out, new RegExp(`\\[${node}\\] .*protocol 0x[0-9a-f]+`), `${node} identified`);
      t.match(out, new RegExp(`\\[${node}\\] armed`), `${node} armed`);
    }
    t.match(out, /host loop [\d.]+ Hz vs 100 Hz target/, 'cadence printed');
    const errs = [...out.matchAll(/tracking error \(RMS\): wheel_left ([\d.]+) rad\/s, wheel_right ([\d.]+) rad\/s, shoulder ([\d.]+) rad, elbow ([\d.]+) rad/g)];
    t.ok(errs.length >= 2, 'tracking error reported with numbers');
    // The loop closes: in some report window the wheels track their 6 rad/s profile within 1 rad/s RMS. Only
    // asserted on the posix firmware: the emulated Unos fall behind the wall clock when the 2 cores are shared
    // with other tests, and the error then measures that lag, not the control loop (test/sim covers closed-loop
    // tracking in emulated time).
    if (mode.length) t.ok(errs.some((m) => Number(m[1]) < 1 && Number(m[2]) < 1), `wheels track (${errs.map((m) => m[1]).join(', ')} rad/s)`);
    const telemetry = [...out.matchAll(/base {4}telemetry ([\d.]+) Hz/g)].map((m) => Number(m[1]));
    t.ok(telemetry.some((hz) => hz > 50), `base telemetry flows (${telemetry.join(', ')} Hz)`);
    t.match(out, /stopping: outputs to their defaults/);
    t.match(out, /\[base\] disarmed/, 'disarmed on the way out');
  });
}

t.test('the default on the emulated robot: pick-and-place rounds through skills, executor and envelope', async (t) => {
  const r = ganglion('run', '--duration', '45', '--report', '5');
  t.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  t.match(out, /pick-and-place rounds through the skill layer, executor at 500 Hz/);
  t.match(out, /-- executor [\d.]+ Hz vs 500 Hz target/, 'executor cadence printed');
  t.match(out, /drive_to done/, 'the base drove to a block');
  t.match(out, /grasp {4}done/, 'the emulated arm and gripper picked it up');
  t.match(out, /round 1: 1\/1 blocks in the bin/, 'the first block ends in the bin');
  t.notMatch(out, /watchdog tripped/, 'no MCU tripped its link watchdog');
});
