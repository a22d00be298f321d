// The embedded broker (aedes behind the MQTT 5 front): login refusals, the role ACL, reply-topic privacy, MQTT 5 properties through aedes, WebSocket, TLS, packet size limit.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { startEmbeddedBroker, type BrokerTls, type EmbeddedBrokerOptions } from '../../host/bridge/broker.ts';
import { ENVELOPE_MAGIC } from '../../host/bridge/mqtt5-front.ts';
import { connackCode, Peer, PASSWORDS, selfSignedCert, tempDir, testUsers, waitFor } from './helpers.ts';

const users = await testUsers(['ref']);
const ROBOT_CRED = { username: 'runtime', password: 'in-memory-secret', robots: ['ref'] };

async function broker(t: Test, o: Partial<Omit<EmbeddedBrokerOptions, 'tls'>> = {}) {
  const b = await startEmbeddedBroker({ users, robot_credentials: [ROBOT_CRED], ...o });
  t.teardown(() => b.close());
  return b;
}
async function tlsBroker(t: Test, tls: BrokerTls) {
  const b = await startEmbeddedBroker({ users, robot_credentials: [ROBOT_CRED], tls });
  t.teardown(() => b.close());
  return b;
}
async function peer(t: Test, url: string, user: string, pw: string, o = {}) {
  const p = await Peer.connect(url, user, pw, o);
  t.teardown(() => p.end());
  return p;
}
const settle = () => new Promise((r) => setTimeout(r, 150));

t.test('logins: no credentials, a wrong password or an unknown user are refused; users file and robot credentials are accepted', async (t) => {
  const b = await broker(t);
  t.equal(await connackCode(b.tcpUrl, { protocolVersion: 5 }), 0x87, 'MQTT 5, no credentials: CONNACK 0x87 not authorized');
  t.equal(await connackCode(b.tcpUrl, { protocolVersion: 4 }), 5, 'MQTT 3.1.1, no credentials: CONNACK 5 not authorized');
  t.equal(await connackCode(b.tcpUrl, { protocolVersion: 5, username: 'op', password: 'wrong-password' }), 0x87, 'wrong password');
  t.equal(await connackCode(b.tcpUrl, { protocolVersion: 5, username: 'nobody', password: PASSWORDS.op }), 0x87, 'unknown user');
  t.equal(await connackCode(b.tcpUrl, { protocolVersion: 5, username: 'runtime', password: 'wrong' }), 0x87, 'robot credential, wrong secret');
  t.equal(await connackCode(b.tcpUrl, { protocolVersion: 5, username: 'op', password: PASSWORDS.op }), 0);
  t.equal(await connackCode(b.tcpUrl, { protocolVersion: 4, username: 'view', password: PASSWORDS.view }), 0, 'MQTT 3.1.1 clients log in too');
  t.equal(await connackCode(b.tcpUrl, { protocolVersion: 5, username: 'runtime', password: ROBOT_CRED.password }), 0);
});

t.test('an MQTT 5 CONNACK tells the client its role (user property), so a page can grey out what it may not do', async (t) => {
  const b = await broker(t);
  for (const [user, pw, role] of [['view', PASSWORDS.view, 'viewer'], ['op', PASSWORDS.op, 'operator'], ['plan', PASSWORDS.plan, 'planner']] as const) {
    const c = await mqtt.connectAsync(b.tcpUrl, { protocolVersion: 5, username: user, password: pw, reconnectPeriod: 0 });
    const props = (c as unknown as { connackPacket?: { properties?: { userProperties?: Record<string, string> } } }).connackPacket?.properties;
    t.equal(props?.userProperties?.role, role, `${user} is told it is ${role}`);
    await c.endAsync();
  }
});

t.test('role ACL from ROLE_COMMANDS: refused publishes get reason 0x87 and never reach the robot', async (t) => {
  const b = await broker(t);
  const robot = await peer(t, b.tcpUrl, 'runtime', ROBOT_CRED.password);
  await robot.sub('ganglion/ref/cmd/+');
  const view = await peer(t, b.tcpUrl, 'view', PASSWORDS.view);
  const plan = await peer(t, b.tcpUrl, 'plan', PASSWORDS.plan);
  const op = await peer(t, b.tcpUrl, 'op', PASSWORDS.op);

  await t.rejects(view.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 }), /Not authorized/, 'viewer: no commands');
  await t.rejects(view.client.publishAsync('ganglion/ref/cmd/action', '{}', { qos: 1 }), /Not authorized/);
  await t.rejects(plan.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 }), /Not authorized/, 'planner: no e-stop');
  await t.rejects(plan.client.publishAsync('ganglion/ref/cmd/teleop', '{}', { qos: 1 }), /Not authorized/, 'planner: no teleop');
  await t.rejects(op.client.publishAsync('ganglion/ref/state', '{}', { qos: 1 }), /Not authorized/, 'operator: cannot speak for the robot');
  await t.rejects(op.client.publishAsync('ganglion/ref/cmd/fly', '{}', { qos: 1 }), /Not authorized/, 'operator: only the commands that exist');
  await t.rejects(robot.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 }), /Not authorized/, 'robot: does not command itself');
  await t.rejects(robot.client.publishAsync('ganglion/other/state', '{}', { qos: 1 }), /Not authorized/, 'robot: only its own tree');
  view.client.publish('ganglion/ref/cmd/estop', '{}', { qos: 0 }); // QoS 0: dropped silently

  await plan.client.publishAsync('ganglion/ref/cmd/action', '{"skill":"home"}', { qos: 1 });
  await plan.client.publishAsync('ganglion/ref/cmd/correction', '{"phrase":"slower"}', { qos: 1 });
  await op.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 });
  await robot.client.publishAsync('ganglion/ref/state', '{}', { qos: 1 });
  await robot.client.publishAsync('ganglion/_reply/op/1', '{}', { qos: 1 });
  await waitFor(() => robot.inbox.length >= 3, 3000, 'three commands at the robot');
  await settle();
  t.same(robot.inbox.map((m) => m.topic), ['ganglion/ref/cmd/action', 'ganglion/ref/cmd/correction', 'ganglion/ref/cmd/estop'],
    'only the allowed commands reached the robot');
  t.equal(b.refused(), 9, 'every refusal counted');
  t.ok(view.client.connected && plan.client.connected, 'a refused publish does not cost the connection');
});

t.test('a user restricted to some robots commands only those', async (t) => {
  const { makeUser } = await import('../../host/bridge/users.ts');
  const lim = await makeUser('lim', 'operator', 'limited-pw', { robots: ['a'], scrypt: { N: 1024 } });
  const b = await broker(t, { users: [...users, lim] });
  const p = await peer(t, b.tcpUrl, 'lim', 'limited-pw');
  await p.client.publishAsync('ganglion/a/cmd/estop', '{}', { qos: 1 });
  await t.rejects(p.client.publishAsync('ganglion/b/cmd/estop', '{}', { qos: 1 }), /Not authorized/);
  t.equal(await p.subCode('ganglion/b/#'), 0x87, 'no subscription to a robot it may not see');
  t.equal(await p.subCode('ganglion/a/#'), 1);
});

t.test('replies are private: only their owner can subscribe to or receive them, and nobody can aim replies at someone else', async (t) => {
  const b = await broker(t);
  const robot = await peer(t, b.tcpUrl, 'runtime', ROBOT_CRED.password);
  await robot.sub('ganglion/ref/cmd/+');
  const view = await peer(t, b.tcpUrl, 'view', PASSWORDS.view);
  const op = await peer(t, b.tcpUrl, 'op', PASSWORDS.op);
  t.equal(await view.subCode('ganglion/_reply/op/#'), 0x87, "subscribing to another user's replies is refused");
  t.equal(await view.subCode('ganglion/_reply/+/#'), 0x87, '... also with a wildcard');
  t.equal(await view.subCode('#'), 0x87, 'nothing outside ganglion/');
  t.equal(await view.subCode('$SYS/#'), 0x87);
  t.equal(await view.subCode('ganglion/#'), 1);
  t.equal(await op.subCode('ganglion/_reply/op/#'), 1);

  await robot.client.publishAsync('ganglion/_reply/op/42', '{"ok":true}', { qos: 1 });
  await robot.client.publishAsync('ganglion/ref/state', '{"s":1}', { qos: 1 });
  await op.next((m) => m.topic === 'ganglion/_reply/op/42', 3000, "op's reply");
  await view.next((m) => m.topic === 'ganglion/ref/state', 3000, 'state at the viewer');
  await settle();
  t.equal(view.inbox.filter((m) => m.topic.startsWith('ganglion/_reply/')).length, 0, "a viewer on ganglion/# does not see op's replies");

  await t.rejects(
    op.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1, properties: { responseTopic: 'ganglion/_reply/view/x' } }),
    /Not authorized/, "a response topic in someone else's reply subtree is refused",
  );
  await t.rejects(op.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1, properties: { responseTopic: 'ganglion/ref/cmd/clear' } }),
    /Not authorized/, 'a command topic as response topic is refused');
  await settle();
  t.equal(robot.inbox.length, 0, 'neither reached the robot');
});

t.test('MQTT 5 properties travel through aedes (live and retained); 3.1.1 clients see plain payloads', async (t) => {
  const b = await broker(t);
  const robot = await peer(t, b.tcpUrl, 'runtime', ROBOT_CRED.password);
  await robot.sub('ganglion/ref/cmd/+');
  const v4 = await peer(t, b.tcpUrl, 'view', PASSWORDS.view, { protocolVersion: 4 });
  await v4.sub('ganglion/ref/#');
  const op = await peer(t, b.tcpUrl, 'op', PASSWORDS.op);
  const props = { responseTopic: 'ganglion/_reply/op/7', correlationData: Buffer.from([0, 1, 2, 255]), contentType: 'application/json', userProperties: { k: 'v' } };
  await op.client.publishAsync('ganglion/ref/cmd/cancel', '{"reason":"x"}', { qos: 1, properties: props });
  const m = await robot.next((x) => x.topic === 'ganglion/ref/cmd/cancel');
  t.equal(m.payload.toString(), '{"reason":"x"}', 'payload intact');
  t.equal(m.properties?.responseTopic, props.responseTopic);
  t.same(m.properties?.correlationData, props.correlationData);
  t.equal(m.properties?.contentType, 'application/json');
  t.same(m.properties?.userProperties, { k: 'v' });
  const m4 = await v4.next((x) => x.topic === 'ganglion/ref/cmd/cancel');
  t.equal(m4.payload.toString(), '{"reason":"x"}', 'a 3.1.1 subscriber gets the payload without the property envelope');

  // A retained message keeps its properties for a late subscriber.
  await robot.client.publishAsync('ganglion/ref/status', '{"online":true}', { qos: 1, retain: true, properties: { contentType: 'application/json' } });
  const late = await peer(t, b.tcpUrl, 'op', PASSWORDS.op);
  await late.sub('ganglion/ref/status');
  const r = await late.next((x) => x.topic === 'ganglion/ref/status');
  t.ok(r.retain, 'retained');
  t.equal(r.payload.toString(), '{"online":true}');
  t.equal(r.properties?.contentType, 'application/json');

  // A 3.1.1 client cannot forge properties: a payload that starts like an envelope arrives byte for byte.
  const robot4 = await peer(t, b.tcpUrl, 'runtime', ROBOT_CRED.password, { protocolVersion: 4, clientId: 'robot-v4' });
  const forged = Buffer.concat([ENVELOPE_MAGIC, Buffer.from([3, 0x08, 0, 0]), Buffer.from('tail')]);
  await robot4.client.publishAsync('ganglion/ref/events', forged, { qos: 1 });
  const f5 = await late.sub('ganglion/ref/events').then(() => robot4.client.publishAsync('ganglion/ref/events', forged, { qos: 1 }))
    .then(() => late.next((x) => x.topic === 'ganglion/ref/events'));
  t.same(f5.payload, forged, 'MQTT 5 subscriber: the same bytes');
  t.equal(f5.properties?.responseTopic, undefined, 'and no forged property');
  const f4 = await v4.next((x) => x.topic === 'ganglion/ref/events');
  t.same(f4.payload, forged, 'MQTT 3.1.1 subscriber: the same bytes');
});

t.test('WebSocket listener (the dashboard path) speaks MQTT 5 with the same auth', async (t) => {
  const b = await broker(t);
  t.match(b.wsUrl, /^ws:\/\/127\.0\.0\.1:\d+$/);
  t.equal(await connackCode(b.wsUrl!, { protocolVersion: 5, username: 'view', password: 'nope' }), 0x87);
  const view = await peer(t, b.wsUrl!, 'view', PASSWORDS.view);
  await view.sub('ganglion/ref/#');
  const robot = await peer(t, b.tcpUrl, 'runtime', ROBOT_CRED.password);
  await robot.client.publishAsync('ganglion/ref/telemetry/base', '{"n":1}', { qos: 0 });
  const m = await view.next((x) => x.topic === 'ganglion/ref/telemetry/base');
  t.equal(m.payload.toString(), '{"n":1}');
  await t.rejects(view.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 }), /Not authorized/);
});

t.test('TLS: mqtts with a self-signed certificate; a client that does not trust it cannot connect', async (t) => {
  const dir = tempDir(t);
  const { key, cert } = selfSignedCert(dir);
  const b = await tlsBroker(t, { key: readFileSync(key), cert: readFileSync(cert) });
  t.match(b.mqttsUrl, /^mqtts:\/\/127\.0\.0\.1:\d+$/);
  const ca = readFileSync(cert);
  const op = await peer(t, b.mqttsUrl!, 'op', PASSWORDS.op, { ca, rejectUnauthorized: true });
  await op.sub('ganglion/_reply/op/#');
  const robot = await peer(t, b.mqttsUrl, 'runtime', ROBOT_CRED.password, { ca, rejectUnauthorized: true });
  await robot.client.publishAsync('ganglion/_reply/op/1', 'over tls', { qos: 1, properties: { correlationData: Buffer.from('c') } });
  const m = await op.next((x) => x.topic === 'ganglion/_reply/op/1');
  t.equal(m.payload.toString(), 'over tls');
  t.same(m.properties?.correlationData, Buffer.from('c'));
  await t.rejects(mqtt.connectAsync(b.mqttsUrl!, { protocolVersion: 5, username: 'op', password: PASSWORDS.op, reconnectPeriod: 0, rejectUnauthorized: true }),
    /self[- ]signed|certificate/i, 'untrusted certificate refused by the client');
  t.equal(await connackCode(b.mqttsUrl!, { protocolVersion: 5, username: 'op', password: 'bad', ca, rejectUnauthorized: true }), 0x87, 'auth still applies over TLS');
});

t.test('a packet over the size limit closes that connection only', async (t) => {
  const b = await broker(t, { max_packet_bytes: 4096 });
  const robot = await peer(t, b.tcpUrl, 'runtime', ROBOT_CRED.password);
  await robot.sub('ganglion/ref/cmd/+');
  const op = await peer(t, b.tcpUrl, 'op', PASSWORDS.op);
  const closed = new Promise<void>((r) => op.client.once('close', () => r()));
  op.client.publish('ganglion/ref/cmd/teleop', Buffer.alloc(10_000, 0x41), { qos: 0 });
  await closed;
  t.pass('oversized publisher disconnected');
  const op2 = await peer(t, b.tcpUrl, 'op', PASSWORDS.op);
  await op2.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 });
  await robot.next((x) => x.topic === 'ganglion/ref/cmd/estop');
  t.equal(robot.inbox.filter((m) => m.topic.endsWith('teleop')).length, 0, 'the oversized packet went nowhere');
});
