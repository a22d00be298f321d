// A TLS-only mosquitto from `ganglion broker-config` (real mosquitto from apt, ephemeral ports, openssl certs): no plain listener, bad certs refused, client ids are usernames, a retained command planted before the bridge starts never runs and is deleted.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { startBridge } from '../../host/bridge/bridge.ts';
import { EventPayload, stampCommand, StatusPayload } from '../../host/bridge/topics.ts';
import { brokerConfigMain } from '../../host/cli/broker-config.ts';
import { startSimRobot } from '../../host/runtime/sim-robot.ts';
import { connackCode, freePort, Peer, selfSignedCert, startMosquitto, tempDir, waitFor } from './helpers.ts';

const dir = tempDir(t);
const usersFile = join(dir, 'users.json');
const PW = { op: 'operator-pw', view: 'viewer-pw-1', plan: 'planner-pw1', robo: 'robot-pw-12' };
const quiet = () => {};
for (const [name, role, robots] of [['op', 'operator'], ['view', 'viewer'], ['plan', 'planner'], ['robo', 'robot', 'ref']] as const) {
  process.env.GANGLION_PASSWORD = PW[name];
  await brokerConfigMain(['--users', usersFile, '--add-user', name, '--role', role, ...(robots ? ['--robots', robots] : [])], quiet);
}
delete process.env.GANGLION_PASSWORD;
const { key, cert } = selfSignedCert(dir);
const other = selfSignedCert(tempDir(t)); // a certificate nobody here trusts
const [plain, tls] = [await freePort(), await freePort()];
const out = join(dir, 'mosquitto');
await brokerConfigMain([
  '--users', usersFile, '--out', out, '--port', String(plain), '--ws-port', 'none', '--tls-cert', cert, '--tls-key', key, '--tls-port', String(tls),
  ...(userInfo().uid === 0 ? ['--run-as', 'root'] : []),
], quiet);
const mosq = await startMosquitto(join(out, 'mosquitto.conf'), tls);
t.teardown(() => mosq.stop());
const url = `mqtts://127.0.0.1:${tls}`;
const ca = readFileSync(cert);

async function peer(t: Test, user: keyof typeof PW, o = {}) {
  const p = await Peer.connect(url, user, PW[user], { ca, rejectUnauthorized: true, ...o });
  t.teardown(() => p.end());
  return p;
}

t.test('TLS only: no plain listener; a client that does not trust the certificate, or a server cert it does not trust, is refused', async (t) => {
  const conf = readFileSync(join(out, 'mosquitto.conf'), 'utf8');
  t.notMatch(conf, new RegExp(`listener ${plain}\\b`), 'the plain port is not in the config');
  t.equal((conf.match(/^listener /gm) ?? []).length, 1, 'one listener, the TLS one');
  const plainTcp = await new Promise<string>((r) => {
    const s = netConnect(plain, '127.0.0.1');
    s.once('connect', () => (s.destroy(), r('connected')));
    s.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message));
  });
  t.equal(plainTcp, 'ECONNREFUSED', 'plain TCP on the would-be MQTT port: refused');
  const plainOnTls = await connackCode(`mqtt://127.0.0.1:${tls}`, { protocolVersion: 5, username: 'view', password: PW.view, connectTimeout: 2000 }).catch((e: Error) => e.message);
  t.not(plainOnTls, 0, `plain MQTT spoken to the TLS port does not log in (${plainOnTls})`);
  const badCa = await connackCode(url, { protocolVersion: 5, username: 'view', password: PW.view, ca: readFileSync(other.cert), rejectUnauthorized: true }).catch((e: Error) => e.message);
  t.match(String(badCa), /self[- ]signed|certificate|verify/i, `a certificate not signed by the CA the client trusts: refused (${badCa})`);
  t.equal(await connackCode(url, { protocolVersion: 5, username: 'view', password: PW.view, ca, rejectUnauthorized: true }), 0, 'the right CA: accepted');
});

t.test('a retained command planted before the bridge starts does not run; the bridge says so and deletes it; client-id takeover does not kick the robot', async (t) => {
  const sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'ref' });
  t.teardown(() => sim.stop());
  await sim.runtime.estop('latched before the bridge');
  // mosquitto stores retained publishes on any topic the ACL lets one write: an operator plants a fresh clear.
  const op = await peer(t, 'op');
  await op.client.publishAsync('ganglion/ref/cmd/clear', JSON.stringify(stampCommand({})), { qos: 1, retain: true });
  const v = await peer(t, 'view');
  await v.sub(['ganglion/ref/events', 'ganglion/ref/status']);

  const bridge = await startBridge({ robot: sim.runtime, url, ca, username: 'robo', password: PW.robo, reconnect: { min_ms: 100, max_ms: 500 } });
  t.teardown(() => bridge.stop());
  const ev = await v.next((m) => m.topic === 'ganglion/ref/events' && /arrived retained/.test(m.json?.text ?? ''), 5000, 'the refusal event');
  t.match(EventPayload.parse(ev.json).text, /clear: arrived retained .* not run/);
  await new Promise((r) => setTimeout(r, 300));
  t.ok(sim.runtime.snapshot().estop.latched, 'the e-stop is still latched');
  const later = await peer(t, 'view');
  await later.sub('ganglion/ref/cmd/+');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(later.inbox.filter((m) => m.retain && m.payload.length > 0).length, 0, 'the robot deleted it: a later subscriber gets nothing');

  // use_username_as_clientid: every account connects as itself, whatever id it asks for.
  await v.next((m) => m.topic === 'ganglion/ref/status' && m.json?.online === true, 3000, 'online');
  const connects = bridge.stats().connects;
  for (const [u, id] of [['view', 'ganglion-robot-ref'], ['op', 'robo'], ['plan', 'robo'], ['view', 'op']] as const) {
    const p = await Peer.connect(url, u, PW[u], { ca, clientId: id });
    await p.end();
  }
  await new Promise((r) => setTimeout(r, 500));
  t.equal(bridge.stats().connects, connects, 'the bridge was never kicked off');
  t.notOk(v.inbox.some((m) => m.topic === 'ganglion/ref/status' && StatusPayload.safeParse(m.json).data?.online === false), 'no Last Will: the robot never went offline');
  // (Each of those took over its own account's earlier session, e.g. the viewer above: one account, one session.)
  t.match(mosq.log(), /Client view already connected, closing old connection/, 'the viewer asking for the robot id got its own id (view)');
  t.notMatch(mosq.log(), /Client robo already connected/, "mosquitto never took the robot's session over");
  await waitFor(() => sim.runtime.snapshot().estop.latched, 100, 'still latched');
});
