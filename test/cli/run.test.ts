// `ganglion run` end to end: the emulated robot (default) and the posix firmware over real ptys (the serial path).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(ROOT, 'test/cli/artifacts');
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

t.test('the default on the emulated robot: the planner puts blocks in the bin through skills, executor and envelope; broker, bridge and dashboard up', async (t) => {
  // A private HOME and users file: the run creates broker users and a corrections log there, not in the developer's.
  const home = mkdtempSync(path.join(tmpdir(), 'ganglion-run-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  // One task (three blocks, about 45 s here); the first block, all that is asserted, takes 10-20 s even on a loaded machine.
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, 'bin/ganglion.js'), 'run', '--tasks', '1', '--duration', '60', '--report', '5', '--mqtt-port', '0', '--ws-port', '0', '--dashboard-port', '0', '--users', path.join(home, 'users.json')],
    { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, HOME: home, GANGLION_LLM_BASE_URL: '' } },
  );
  t.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  // The whole output is kept for a failed run; the assertions below quote only the steps and what went wrong.
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, 'run-task.txt'), out);
  const steps = out.split('\n').filter((l) => /^ +(run |-> )|task|trip|re-arm|e-stop|stall|fail/.test(l)).join('\n');
  t.match(out, /broker: embedded \(aedes\) at mqtt:\/\/127\.0\.0\.1:\d+/, 'embedded broker started');
  t.match(out, /bridge: connected/, 'the bridge is on it');
  t.match(out, /dashboard: http:\/\/127\.0\.0\.1:\d+/, 'dashboard served');
  t.match(out, /broker users created/, 'first run: users with generated passwords');
  t.match(out, /planner: offline rule planner/, 'no LLM configured: the rule planner');
  t.match(out, /pick-and-place through the planner and the skill layer, executor at 500 Hz/);
  t.match(out, /plan from rules \(0 request\(s\)/, 'the plan is printed');
  t.match(out, /-- executor [\d.]+ Hz vs 500 Hz target/, 'executor cadence printed');
  // Each step's outcome follows its "run" line (report lines may come between, another "run" may not).
  const doneAfter = (skill: string) => new RegExp(`run ${skill} [^\\n]*\\n(?:(?! +run )[^\\n]*\\n)*? +-> done`);
  t.match(out, doneAfter('drive_to'), 'the base drove to a block', { steps });
  t.match(out, doneAfter('grasp'), 'the emulated arm and gripper picked it up', { steps });
  t.match(out, doneAfter('release'), 'and let it go over the bin', { steps });
  // On a machine shared with other tests a host stall can trip the emulated MCUs' 100 ms link watchdogs (as it would
  // real ones). The demo then says so, clears, re-arms and goes on: assert that recovery whenever a trip happened.
  const trip = out.search(/link watchdog tripped/);
  if (trip >= 0) t.match(out.slice(trip), /clearing latches and re-arming \(simulation demo/, 'after a watchdog trip the demo re-armed and went on');
  else t.pass('no MCU tripped its link watchdog');
});
