// `ganglion run`'s services on the simulated robot: first-run users with generated passwords (hashes only in the users
// file, passwords once in a 0600 file), the embedded broker letting the operator command and refusing a wrong password,
// and the dashboard served.
import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { startServices } from '../../host/cli/services.ts';
import { topics, replyTopic, stampCommand } from '../../host/bridge/topics.ts';
import { startSimRobot, type SimRobot } from '../../host/runtime/sim-robot.ts';
import { connect as netConnect } from 'node:net';
import { connackCode, freePort, Peer, selfSignedCert, tempDir, waitFor } from '../bridge/helpers.ts';

let sim: SimRobot;
t.before(async () => {
  sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'svc' });
});
t.teardown(() => sim?.stop());

t.test('first run: users created, operator commands over the embedded broker, dashboard served', async (t) => {
  const dir = tempDir(t, 'ganglion-services-');
  const usersFile = path.join(dir, 'cfg', 'users.json');
  const logs: string[] = [];
  const s = await startServices(sim.runtime, {
    robotId: 'svc', broker: null, usersFile, tcpPort: 0, wsPort: 0, dashboardPort: 0, telemetryHz: 20, log: (l) => logs.push(l),
  });
  t.teardown(() => s.stop());

  const users = readFileSync(usersFile, 'utf8');
  const creds = path.join(dir, 'cfg', 'credentials.txt');
  t.equal(statSync(creds).mode & 0o777, 0o600, 'the passwords file is private');
  const rows = readFileSync(creds, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'));
  t.same(rows.map((r) => [r[0], r[1]]), [['operator', 'operator'], ['viewer', 'viewer'], ['planner', 'planner']]);
  for (const r of rows) t.notOk(users.includes(r[2]!), `${r[0]}'s password is not in the users file`);
  t.match(logs.join('\n'), /dashboard: http:\/\/127\.0\.0\.1:\d+/);

  t.not(await connackCode(s.brokerUrl, { username: 'operator', password: 'wrong-password' }), 0, 'a wrong password is refused');
  const op = await Peer.connect(s.brokerUrl, 'operator', rows[0]![2]!);
  t.teardown(() => op.end());
  await op.sub([topics('svc').status, replyTopic('operator', '#')]);
  const online = await op.next((m) => m.topic === topics('svc').status, 5000, 'retained status');
  t.equal(online.json.online, true);
  op.client.publish(topics('svc').cmd('estop'), JSON.stringify(stampCommand({ reason: 'services test' })), {
    qos: 1, properties: { responseTopic: replyTopic('operator', 'e1'), correlationData: Buffer.from('c1') },
  });
  const reply = await op.next((m) => m.topic === replyTopic('operator', 'e1'), 5000, 'the e-stop reply');
  t.equal(reply.json.ok, true);
  t.equal(reply.properties?.correlationData?.toString(), 'c1');
  await waitFor(() => sim.runtime.snapshot().estop.latched, 2000, 'the runtime e-stopped');
  await sim.runtime.clearEstop();

  const page = await fetch(s.dashboardUrl!);
  t.equal(page.status, 200);
  t.match(await page.text(), /<html/i);

  // The second start reads the same users file (no new passwords).
  await s.stop();
  const logs2: string[] = [];
  const s2 = await startServices(sim.runtime, { robotId: 'svc', broker: null, usersFile, tcpPort: 0, wsPort: 0, dashboardPort: null, telemetryHz: 20, log: (l) => logs2.push(l) });
  t.teardown(() => s2.stop());
  t.notMatch(logs2.join('\n'), /created/, 'users are not re-created');
  t.equal(s2.dashboardUrl, null);
  t.equal(await connackCode(s2.brokerUrl, { username: 'viewer', password: rows[1]![2]! }), 0, 'the saved viewer password still works');
});

t.test('an external broker needs the robot account from the environment', async (t) => {
  await t.rejects(
    startServices(sim.runtime, { robotId: 'svc', broker: 'mqtt://127.0.0.1:1', usersFile: '/nonexistent', tcpPort: 0, wsPort: 0, dashboardPort: null, telemetryHz: 20, log: () => {} }),
    /GANGLION_BROKER_USERNAME and GANGLION_BROKER_PASSWORD/,
  );
});

t.test('default ports taken (e.g. apt mosquitto on 1883): free ones are used; ports the user chose are refused with the fix', async (t) => {
  const dir = tempDir(t, 'ganglion-services-');
  const usersFile = path.join(dir, 'users.json');
  const { createServer } = await import('node:net');
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => squatter.close(() => r())));
  const busy = (squatter.address() as { port: number }).port;
  const logs: string[] = [];
  const s = await startServices(sim.runtime, {
    robotId: 'svc', broker: null, usersFile, tcpPort: busy, wsPort: 0, dashboardPort: busy, telemetryHz: 20, portsAreDefaults: true, log: (l) => logs.push(l),
  });
  t.teardown(() => s.stop());
  t.not(s.brokerUrl, `mqtt://127.0.0.1:${busy}`, 'the broker moved to a free port');
  t.match(logs.join('\n'), /using free ports instead/);
  t.match(logs.join('\n'), /dashboard: port \d+ is in use; using a free port instead/);
  t.equal((await fetch(s.dashboardUrl!)).status, 200, 'and the dashboard is served');
  await t.rejects(
    startServices(sim.runtime, { robotId: 'svc', broker: null, usersFile, tcpPort: busy, wsPort: 0, dashboardPort: null, telemetryHz: 20, log: () => {} }),
    /--mqtt-port/,
    'a port the user chose is not silently replaced',
  );
});

t.test('--tls-cert/--tls-key: the embedded broker is TLS only; the bridge and the dashboard use mqtts and wss', async (t) => {
  const dir = tempDir(t, 'ganglion-services-');
  const usersFile = path.join(dir, 'users.json');
  const { key, cert } = selfSignedCert(dir);
  const wouldBePlain = await freePort();
  const logs: string[] = [];
  const s = await startServices(sim.runtime, {
    robotId: 'svc', broker: null, usersFile, tcpPort: wouldBePlain, wsPort: 0, dashboardPort: 0, telemetryHz: 20, log: (l) => logs.push(l),
    tls: { certFile: cert, keyFile: key, port: 0, allowPlainLocalhost: false },
  });
  t.teardown(() => s.stop());
  t.match(s.brokerUrl, /^mqtts:\/\/127\.0\.0\.1:\d+$/, 'the bridge is on mqtts');
  t.match(s.brokerWsUrl, /^wss:\/\/127\.0\.0\.1:\d+$/, 'the dashboard is told wss');
  t.ok(s.bridge.stats().connected, 'the bridge connected over TLS (pinned to the configured certificate)');
  t.match(logs.join('\n'), /broker: embedded \(aedes\) at mqtts:\/\/127\.0\.0\.1:\d+, WebSocket wss:\/\/127\.0\.0\.1:\d+; TLS only;/);
  t.match(logs.join('\n'), /\[bridge\] bridge: connected to mqtts:/);
  const config = await (await fetch(new URL('/config.json', s.dashboardUrl!))).json();
  t.equal(config.broker_ws_url, s.brokerWsUrl, "the dashboard page's broker URL is the wss one");
  const plain = await new Promise<string>((r) => {
    const c = netConnect(wouldBePlain, '127.0.0.1');
    c.once('connect', () => (c.destroy(), r('connected')));
    c.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message));
  });
  t.equal(plain, 'ECONNREFUSED', 'nothing plain on --mqtt-port');

  const rows = readFileSync(path.join(dir, 'credentials.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t'));
  const ca = readFileSync(cert);
  const viewer = await Peer.connect(s.brokerWsUrl!, 'viewer', rows[1]![2]!, { ca, rejectUnauthorized: true });
  t.teardown(() => viewer.end());
  await viewer.sub(topics('svc').status);
  t.equal((await viewer.next((m) => m.topic === topics('svc').status, 5000, 'retained status over wss')).json.online, true, 'the robot is online, seen over wss');
  await s.stop();

  // The opt-in plain listener: 127.0.0.1 only, beside TLS.
  const s2 = await startServices(sim.runtime, {
    robotId: 'svc', broker: null, usersFile, tcpPort: 0, wsPort: 0, dashboardPort: null, telemetryHz: 20, log: (l) => logs.push(l),
    tls: { certFile: cert, keyFile: key, port: 0, allowPlainLocalhost: true },
  });
  t.teardown(() => s2.stop());
  t.match(s2.brokerUrl, /^mqtts:/, 'the bridge stays on mqtts');
  t.match(logs.at(-2) ?? '', /plain MQTT mqtt:\/\/127\.0\.0\.1:\d+ for this machine only \(--allow-plain-localhost\)/);
  const plainUrl = /plain MQTT (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(logs.join('\n'))![1]!;
  t.equal(await connackCode(plainUrl, { username: 'viewer', password: rows[1]![2]! }), 0, 'a local client logs in over plain MQTT');
});

t.test('a TLS certificate and key that are missing, not PEM, or not a pair: refused naming the file and the fix', async (t) => {
  const dir = tempDir(t, 'ganglion-services-');
  const a = selfSignedCert(dir);
  const b = selfSignedCert(tempDir(t, 'ganglion-services-'));
  const start = (certFile: string, keyFile: string) => startServices(sim.runtime, {
    robotId: 'svc', broker: null, usersFile: path.join(dir, 'users.json'), tcpPort: 0, wsPort: 0, dashboardPort: null, telemetryHz: 20, log: () => {},
    tls: { certFile, keyFile, port: 0, allowPlainLocalhost: false },
  });
  await t.rejects(start(path.join(dir, 'nope.pem'), a.key), { message: new RegExp(`--tls-cert ${dir}/nope.pem: cannot read it \\(ENOENT\\)`) });
  await t.rejects(start(a.key, a.key), { message: /--tls-cert .*key\.pem: not a PEM certificate .*openssl req -x509/ });
  await t.rejects(start(a.cert, a.cert), { message: /--tls-key .*cert\.pem: not a PEM private key/ });
  await t.rejects(start(a.cert, b.key), { message: /--tls-key .* is not the key of --tls-cert .*: give the key the certificate was made with/ });
});
