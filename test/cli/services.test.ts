// `ganglion run`'s services on the simulated robot: first-run users with generated passwords (hashes only in the users
// file, passwords once in a 0600 file), the embedded broker letting the operator command and refusing a wrong password,
// and the dashboard served.
import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { startServices } from '../../host/cli/services.ts';
import { topics, replyTopic, stampCommand } from '../../host/bridge/topics.ts';
import { startSimRobot, type SimRobot } from '../../host/runtime/sim-robot.ts';
import { connackCode, Peer, tempDir, waitFor } from '../bridge/helpers.ts';

let sim: SimRobot;
t.before(async () => {
  sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robotId: 'svc' });
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
