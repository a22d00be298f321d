// `ganglion run` on a robot that mixes Ganglion MCUs and a Firmata board (schematics/mixed-firmata.json), through the
// one start-up path: all emulated in the child, then with the Firmata board on a pty served here (the real StandardFirmata
// in avr8js), where an operator's correction over MQTT closes the gripper and a SIGTERM brings it to its default, on D9.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { stampCommand } from '../../host/bridge/topics.ts';
import { calibrationPath, loadCalibration } from '../../host/calibration/file.ts';
import { envelopeFor, REFERENCE_LIMITS } from '../../host/executor/envelope-config.ts';
import { envelopeWithCalibration } from '../../host/runtime/limits.ts';
import { geometryFor } from '../../host/skills/geometry.ts';
import { LAST_STATE_WARNING } from '../../host/firmata/deadman.ts';
import { ROOT } from '../../host/hw/board.ts';
import { loadRobot, SCHEMATICS_DIR } from '../../host/hw/robot.ts';
import { resolvePin } from '../../host/emulator/wiring.ts';
import { bootFirmataNode, pulseRecorder, until } from './boot.ts';
import { boardOnPty } from './pty.ts';

const MIXED = path.join(SCHEMATICS_DIR, 'mixed-firmata.json');
// The CLI in this very process (tsx as a loader, not tsx's CLI, which forks a child a SIGKILL would leave running).
const CLI = ['--import', 'tsx', path.join(ROOT, 'host/cli/main.ts')];
const warnings = (out: string) => out.split(LAST_STATE_WARNING).length - 1;
const TRIPPED = /link watchdog tripped|host deadman tripped \(stall\)/g;

// The first run calibrates the robot into calibration/mixed-firmata.json in the checkout (where `ganglion run` keeps
// calibrations); a file this test created goes when it ends, so `npm test` leaves the tree as it found it.
const CAL_FILE = calibrationPath(loadRobot(MIXED).name);
const calExisted = existsSync(CAL_FILE);
t.teardown(() => {
  if (!calExisted) rmSync(CAL_FILE, { force: true });
});

/**
 * [us] the pulse "close the gripper" puts on D9: the skills close it to the envelope's upper gripper limit
 * (REFERENCE_LIMITS: 1.2 rad), and the robot file's servo (1000-2000 us, 1000 us per half turn) turns that into
 * 1000 + 1.2 * 318.3 = 1382 us, not the servo's 2000 us end.
 */
function closedGripperUs(): number {
  const robot = loadRobot(MIXED);
  const cal = loadCalibration(calibrationPath(robot.name));
  const servo = cal.joints['gripper'];
  if (servo?.kind !== 'servo') throw new Error('calibration/mixed-firmata.json: the gripper is not a servo');
  const geometry = geometryFor(robot, envelopeWithCalibration(envelopeFor(REFERENCE_LIMITS, robot.kinematics, robot.name), cal));
  return servo.us_at_zero_rad + geometry.gripper_closed_rad * servo.us_per_rad;
}

// Two robot runs (the first also calibrates the emulated twin): more than the suite's 180 s per file on a loaded machine.
t.setTimeout(480_000);

t.test('all emulated: the Ganglion MCUs on their firmware, the Firmata board on StandardFirmata, one start-up', async (t) => {
  const home = mkdtempSync(path.join(tmpdir(), 'ganglion-mixed-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  // First run of this robot: the calibration gate calibrates the emulated twin and writes calibration/mixed-firmata.json
  // (the Firmata board's servo from the robot file); the pty run below needs that file.
  const r = spawnSync(process.execPath, [...CLI, 'run', '--robot', MIXED, '--demo', 'idle', '--duration', '4', '--no-mqtt', '--report', '1'],
    { cwd: ROOT, encoding: 'utf8', timeout: 240_000, env: { ...process.env, HOME: home } });
  t.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  t.match(out, /emulator: 1 ATmega328P node\(s\) running node_modules\/avrgirl-arduino\/junk\/hex\/uno\/StandardFirmata\.cpp\.hex in avr8js: fir/, 'fir runs the real StandardFirmata');
  t.match(out, /\[fir\] emulator:fir: StandardFirmata\.ino 2\.\d+, Firmata protocol 2\.\d+/, 'fir answered as StandardFirmata');
  for (const node of ['base', 'arm', 'leader']) t.match(out, new RegExp(`\\[${node}\\] emulator:${node}: Ganglion firmware`), `${node} on Ganglion's firmware`);
  t.match(out, /\[fir\] armed \(host deadman running\)/, 'fir armed with its host deadman');
  t.equal(warnings(out), 1, 'the last-state warning is said once');
  t.match(out, /runtime idle at 500 Hz/);
  t.match(out, /stopping: outputs to their defaults/);
});

t.test('the Firmata board on a pty: an MQTT correction is answered and closes the gripper, SIGTERM brings it to its default', async (t) => {
  const wiring = loadRobot(MIXED).nodes.find((n) => n.id === 'fir')!;
  const b = bootFirmataNode(wiring);
  t.teardown(() => b.stop());
  const pair = await boardOnPty(t, b);
  const d9 = pulseRecorder(b.node, resolvePin(b.board, 'D9', 'test').pin);
  const lastUs = () => d9.pulses.at(-1)?.width_us ?? NaN;

  const home = mkdtempSync(path.join(tmpdir(), 'ganglion-mixed-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const host = spawn(process.execPath, [...CLI, 'run', '--robot', MIXED, '--port', `fir=${pair.host}`, '--demo', 'idle',
    '--mqtt-port', '0', '--ws-port', '0', '--no-dashboard', '--users', path.join(home, 'users.json'), '--report', '2'],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: home } });
  const out: string[] = [];
  host.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  host.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
  const said = () => out.join('');
  const exited = new Promise<number | null>((resolve) => host.once('exit', (code) => resolve(code)));
  t.teardown(() => void host.kill('SIGKILL'));

  await until(() => said().includes('runtime idle'), () => `the robot up and idle (it said: ${said().slice(-2000)})`, 120_000);
  t.match(said(), /\[fir\] .*: StandardFirmata\.ino 2\.\d+, Firmata protocol 2\.\d+, host deadman window 500 ms/, 'fir connected over the pty');
  t.equal(warnings(said()), 1, 'the last-state warning is said once');
  // Armed and holding: the envelope holds the gripper where it reads it (no pulse yet = 0 rad = open, 1000 us).
  await until(() => Math.abs(lastUs() - 1000) <= 20, () => `the open gripper (1000 us) on D9 (last ${lastUs().toFixed(1)} us of ${d9.pulses.length} pulses; host said: ${said().slice(-1500)})`);
  t.pass(`armed: gripper open, ${lastUs().toFixed(1)} us on D9`);

  // An operator on MQTT (as the dashboard): a correction needs a running skill (hold runs until cancelled).
  const broker = /broker: embedded \(aedes\) at (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(said())?.[1];
  const creds = /their passwords are in (\S+) \(mode 600\)/.exec(said())?.[1];
  if (!broker || !creds) throw new Error(`no broker URL or credentials file in the output: ${said().slice(-2000)}`);
  const password = readFileSync(creds, 'utf8').split('\n').map((l) => l.split('\t')).find((f) => f[0] === 'operator')?.[2];
  const client = await mqtt.connectAsync(broker, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000, username: 'operator', password: password ?? '' });
  t.teardown(() => client.endAsync(true));
  const replies: { command?: string; ok?: boolean; result?: unknown }[] = [];
  client.on('message', (_topic, payload) => replies.push(JSON.parse(payload.toString()) as (typeof replies)[number]));
  await client.subscribeAsync('ganglion/_reply/operator/#', { qos: 1 });
  let n = 0;
  let acked = 0;
  const cmd = async (name: string, payload: object) => {
    const id = `mixed-${++n}`;
    await client.publishAsync(`ganglion/mixed-firmata/cmd/${name}`, JSON.stringify(stampCommand(payload, id)), { qos: 1, properties: { responseTopic: `ganglion/_reply/operator/${id}` } });
    acked++; // publishAsync resolves on the broker's PUBACK
  };
  // The emulated MCUs share this machine's cores with the Firmata board served here: when one trips its link watchdog
  // (or a stalled loop trips the Firmata deadman), the operator clears and re-arms, as on the dashboard. Only trips said
  // since the last re-arm count.
  let seen = 0;
  const trips = () => said().match(TRIPPED)?.length ?? 0;
  const steer = async () => {
    if (trips() > seen) {
      seen = trips();
      await cmd('clear', {});
      await cmd('arm', {});
    }
    await cmd('action', { skill: 'hold' });
    await cmd('correction', { phrase: 'close the gripper' });
  };
  const closedUs = closedGripperUs();
  t.ok(Math.abs(closedUs - 1000) > 100 && Math.abs(closedUs - 1500) > 100, `the closed gripper (${closedUs.toFixed(1)} us) is neither the open pulse nor the default`);
  void steer().catch(() => {});
  const corrected = setInterval(() => void steer().catch(() => {}), 1500);
  t.teardown(() => clearInterval(corrected));
  const closeReply = () => replies.find((r) => r.command === 'correction' && r.ok === true);
  await until(() => closeReply() !== undefined && Math.abs(lastUs() - closedUs) <= 20,
    () => `the correction's reply and the closed gripper (${closedUs.toFixed(1)} us) on D9 (last ${lastUs().toFixed(1)} us; ${acked} of ${n} publishes acked; replies ${JSON.stringify(replies.slice(-6))}; host said: ${said().slice(-1500)})`, 30_000);
  clearInterval(corrected);
  t.same(closeReply(), { ok: true, command: 'correction', result: { type: 'gripper', command: 'close' } }, 'the operator got the correction\'s reply');
  t.ok(Math.abs(lastUs() - closedUs) <= 20, `"close the gripper" over MQTT -> ${lastUs().toFixed(1)} us on D9 (closed: ${closedUs.toFixed(1)} us)`);
  t.comment(`${acked} publishes acked, ${replies.length} replies; link watchdog/deadman trips said by the run: ${trips()}`);

  host.kill('SIGTERM');
  const code = await exited;
  t.equal(code, 0, 'the run shuts down in order and exits 0');
  t.match(said(), 'host deadman tripped (signal): SIGTERM', 'the deadman made the outputs safe at the signal');
  const after = d9.pulses.length;
  await until(() => d9.pulses.length > after + 3 && Math.abs(lastUs() - 1500) <= 20, () => `the gripper at its default 1500 us after the host exited (last ${lastUs().toFixed(1)} us)`, 5000);
  t.ok(Math.abs(lastUs() - 1500) <= 20, `after SIGTERM: ${lastUs().toFixed(1)} us on D9 (default_us 1500), held by the board`);
});

// johnny-five keeps its components' intervals alive; the emulator is stopped in teardown, so end the process.
t.teardown(() => setTimeout(() => process.exit(), 50));
