// Load does not disarm the robot, on mosquitto: 10k malformed commands from one operator (its own process) through the real mosquitto (config from `ganglion broker-config`) to the bridge beside the emulated MCU links: no watchdog trip, the bridge stays up and sheds the flood, an e-stop still gets through.
import t from 'tap';
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBridge } from '../../host/bridge/bridge.ts';
import { brokerConfigMain } from '../../host/cli/broker-config.ts';
import { startSimRobot } from '../../host/runtime/sim-robot.ts';
import { freePort, Peer, request, startMosquitto, tempDir, waitFor } from './helpers.ts';

const BURST = 10_000;
const PW = { op: 'operator-pw', robo: 'robot-pw-12' };
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The offender: logs in, says so, waits for "go" (a second), sends BURST malformed commands at QoS 0 as fast as it can, and logs out. */
const FLOODER = `
import mqtt from 'mqtt';
const [url, username, password, n] = process.argv.slice(1);
const c = await mqtt.connectAsync(url, { protocolVersion: 5, username, password, reconnectPeriod: 0 });
console.log('connected');
const junk = ['{"skill": "home"', 'null', '{"id":1}', '\\u0000\\u00ff', JSON.stringify({ skill: 'NOPE!' })];
await new Promise((r) => setTimeout(r, 300));
const t0 = performance.now();
for (let i = 0; i < Number(n); i++) c.publish('ganglion/ref/cmd/action', junk[i % junk.length], { qos: 0 });
await c.endAsync();
console.log('sent ' + n + ' in ' + (performance.now() - t0).toFixed(0) + ' ms');
`;

t.test(`${BURST} malformed messages from one client through mosquitto`, async (t) => {
  const dir = tempDir(t);
  const usersFile = join(dir, 'users.json');
  for (const [name, role, robots] of [['op', 'operator'], ['robo', 'robot', 'ref']] as const) {
    process.env.GANGLION_PASSWORD = PW[name];
    await brokerConfigMain(['--users', usersFile, '--add-user', name, '--role', role, ...(robots ? ['--robots', robots] : [])], () => {});
  }
  delete process.env.GANGLION_PASSWORD;
  const port = await freePort();
  const out = join(dir, 'mosquitto');
  await brokerConfigMain(['--users', usersFile, '--out', out, '--port', String(port), '--ws-port', 'none', ...(userInfo().uid === 0 ? ['--run-as', 'root'] : [])], () => {});
  const mosq = await startMosquitto(join(out, 'mosquitto.conf'), port);
  const url = `mqtt://127.0.0.1:${port}`;
  const sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'ref' });
  const bridge = await startBridge({ robot: sim.runtime, url, username: 'robo', password: PW.robo });
  t.teardown(async () => {
    await bridge.stop();
    await mosq.stop();
    await sim.stop();
  });
  await waitFor(() => bridge.stats().connected, 5000, 'the bridge to connect');
  const tripped = () => Object.entries(sim.runtime.linkHealth()).filter(([, s]) => s.watchdogTripped).map(([n]) => n);
  t.same(tripped(), [], 'no watchdog tripped before');
  const connects = bridge.stats().connects;
  const before = bridge.stats().commands;

  // The offender is its own process (as a remote attacker is): its send loop does not run on the robot's event loop.
  const flood = spawn(process.execPath, ['--input-type=module', '-e', FLOODER, url, 'op', PW.op, String(BURST)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let floodOut = '';
  flood.stdout.on('data', (d) => (floodOut += d));
  flood.stderr.on('data', (d) => (floodOut += d));
  const floodExit = new Promise<number | null>((r) => flood.once('exit', r));
  t.teardown(() => void (flood.exitCode === null && flood.kill()));
  await waitFor(() => /connected/.test(floodOut), 10_000, `the flooder to connect (${floodOut})`);
  await waitFor(() => bridge.stats().commands > before, 10_000, 'the first of the burst', 1);
  const t0 = performance.now(); // the rate held is timed from the first message the bridge got
  const loopDelay = monitorEventLoopDelay({ resolution: 5 }); // what the links on this thread waited for, at worst
  loopDelay.enable();
  // mosquitto may drop QoS 0 messages for a subscriber that falls behind: wait for all, or for the flow to stop.
  let last = -1;
  let still_ms = performance.now();
  await waitFor(() => {
    const n = bridge.stats().commands - before;
    if (n !== last) [last, still_ms] = [n, performance.now()];
    return n >= BURST || performance.now() - still_ms > 2000;
  }, 90_000, 'the bridge to have seen the burst', 50);
  const seen = bridge.stats().commands - before;
  loopDelay.disable();
  const s = (performance.now() - t0) / 1000 - (seen >= BURST ? 0 : 2);
  const dropped = (mosq.log().match(/dropped/gi) ?? []).length;
  t.comment(`mosquitto: ${seen} of ${BURST} malformed commands reached the bridge in ${s.toFixed(2)} s (${(seen / s).toFixed(0)} msg/s held); ${tripped().length} watchdog trips; ${bridge.stats().commands_shed} shed unread by the bridge; bridge busy ${bridge.stats().busy_ms.toFixed(0)} ms; event loop delay max ${(loopDelay.max / 1e6).toFixed(0)} ms (link watchdog 500 ms); mosquitto drop lines ${dropped}`);
  t.ok(seen > 0, 'the burst reached the bridge');
  // mosquitto has no per-client rate limit without a plugin: the bridge bounds its own intake (intake-rate.ts).
  t.ok(bridge.stats().commands_shed > 0, `the flood was throttled by the bridge: ${bridge.stats().commands_shed} shed unread`);
  t.same(tripped(), [], 'no watchdog trip during the burst');
  t.equal(bridge.stats().connected, true, 'the bridge is up');
  t.equal(bridge.stats().connects, connects, 'and never reconnected');

  const op = await Peer.connect(url, 'op', PW.op);
  t.teardown(() => op.end());
  await op.sub('ganglion/_reply/op/#');
  const e0 = performance.now();
  const { reply } = await request(op, 'op', 'estop', { reason: 'after the burst' }, { timeout_ms: 5000 });
  t.equal(reply.ok, true, `an e-stop answered ${(performance.now() - e0).toFixed(0)} ms after`);
  t.equal(await floodExit, 0, `the flooder sent all ${BURST} (${floodOut.trim().split('\n').at(-1)})`);
  await sim.runtime.clearEstop();
});
