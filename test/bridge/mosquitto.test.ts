// A real mosquitto 2 configured by `ganglion broker-config` (users file -> passwd, ACL, conf; TLS from a self-signed cert): logins, role ACL, reply privacy, TLS, WebSocket, and the bridge on the real runtime through it.
import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { startBridge } from '../../host/bridge/bridge.ts';
import { ReplyPayload, SkillStatusPayload, StatePayload, stampCommand } from '../../host/bridge/topics.ts';
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
const [tcp, ws, tls] = [await freePort(), await freePort(), await freePort()];
const out = join(dir, 'mosquitto');
const code = await brokerConfigMain([
  '--users', usersFile, '--out', out, '--port', String(tcp), '--ws-port', String(ws), '--tls-cert', cert, '--tls-key', key, '--tls-port', String(tls),
  '--allow-plain-localhost', // TLS only otherwise; most of these tests talk plain MQTT on 127.0.0.1
  // As root, mosquitto would drop to the "mosquitto" account, which cannot read our 0600 passwd.
  ...(userInfo().uid === 0 ? ['--run-as', 'root'] : []),
], quiet);
const mosq = await startMosquitto(join(out, 'mosquitto.conf'), tcp);
t.teardown(() => mosq.stop());
const url = `mqtt://127.0.0.1:${tcp}`;

async function peer(t: Test, user: keyof typeof PW, o = {}) {
  const p = await Peer.connect(url, user, PW[user], o);
  t.teardown(() => p.end());
  return p;
}

t.test('broker-config wrote a password file, an ACL from ROLE_COMMANDS and a conf that mosquitto runs', async (t) => {
  t.equal(code, 0);
  const passwd = readFileSync(join(out, 'passwd'), 'utf8');
  t.match(passwd, /^op:\$7\$\d+\$/m, 'PBKDF2-SHA512 hashes in mosquitto format');
  t.notMatch(passwd, /operator-pw/, 'no plaintext');
  const acl = readFileSync(join(out, 'acl'), 'utf8');
  t.match(acl, /user plan\n(topic read .*\n)+topic write ganglion\/\+\/cmd\/action\ntopic write ganglion\/\+\/cmd\/cancel\ntopic write ganglion\/\+\/cmd\/correction\ntopic read ganglion\/_reply\/plan\/#/);
  t.match(acl, /user robo\n(topic write ganglion\/ref\/.*\n)+/);
  t.match(readFileSync(join(out, 'mosquitto.conf'), 'utf8'), /allow_anonymous false/);
});

t.test('mosquitto: logins are refused without credentials or with a wrong password', async (t) => {
  t.ok([0x86, 0x87].includes(await connackCode(url, { protocolVersion: 5 })), 'no credentials');
  t.ok([0x86, 0x87].includes(await connackCode(url, { protocolVersion: 5, username: 'op', password: 'wrong' })), 'wrong password');
  t.equal(await connackCode(url, { protocolVersion: 4, username: 'op', password: 'wrong' }), 5, 'MQTT 3.1.1: not authorized');
  t.equal(await connackCode(url, { protocolVersion: 5, username: 'view', password: PW.view }), 0);
});

t.test('mosquitto: the generated ACL gives each role what ROLE_COMMANDS says, and replies stay private', async (t) => {
  const robot = await peer(t, 'robo');
  await robot.sub('ganglion/ref/cmd/+');
  const view = await peer(t, 'view');
  await view.sub('ganglion/#');
  const plan = await peer(t, 'plan');
  const op = await peer(t, 'op');
  await op.sub('ganglion/_reply/op/#');
  await t.rejects(view.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 }), /Not authorized/, 'viewer: no commands');
  await t.rejects(plan.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 }), /Not authorized/, 'planner: no e-stop');
  await t.rejects(op.client.publishAsync('ganglion/ref/state', '{}', { qos: 1 }), /Not authorized/, 'operator: not the robot');
  await t.rejects(robot.client.publishAsync('ganglion/other/state', '{}', { qos: 1 }), /Not authorized/, 'robot: its own tree only');
  await plan.client.publishAsync('ganglion/ref/cmd/action', '{}', { qos: 1 });
  await op.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 });
  await robot.client.publishAsync('ganglion/_reply/op/1', '{}', { qos: 1 });
  await robot.client.publishAsync('ganglion/ref/state', '{}', { qos: 1 });
  await op.next((m) => m.topic === 'ganglion/_reply/op/1', 3000, "op's reply");
  await view.next((m) => m.topic === 'ganglion/ref/state', 3000, 'state at the viewer');
  await waitFor(() => robot.inbox.length >= 2, 3000, 'two commands');
  await new Promise((r) => setTimeout(r, 150));
  t.same(robot.inbox.map((m) => m.topic), ['ganglion/ref/cmd/action', 'ganglion/ref/cmd/estop'], 'only the allowed commands reached the robot');
  t.equal(view.inbox.filter((m) => m.topic.startsWith('ganglion/_reply/')).length, 0, "the viewer on ganglion/# never sees op's reply");
});

t.test('mosquitto: TLS with the self-signed certificate, and the WebSocket listener (wss)', async (t) => {
  const ca = readFileSync(cert);
  const p = await Peer.connect(`mqtts://127.0.0.1:${tls}`, 'view', PW.view, { ca, rejectUnauthorized: true });
  t.teardown(() => p.end());
  t.ok(p.client.connected, 'mqtts login');
  t.equal(await connackCode(`mqtts://127.0.0.1:${tls}`, { protocolVersion: 5, username: 'view', password: 'bad', ca, rejectUnauthorized: true }) !== 0, true, 'auth over TLS');
  const w = await Peer.connect(`wss://127.0.0.1:${ws}`, 'view', PW.view, { ca, rejectUnauthorized: true });
  t.teardown(() => w.end());
  t.ok(w.client.connected, 'WebSocket login, over TLS (wss) since the config has TLS');
});

t.test('the bridge on the real runtime through mosquitto: replies with correlation data, planner step results, ACL in front of the robot', async (t) => {
  const sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'ref' });
  // The robot account from the users file, over TLS as a remote robot would connect.
  const bridge = await startBridge({ robot: sim.runtime, url: `mqtts://127.0.0.1:${tls}`, ca: readFileSync(cert), username: 'robo', password: PW.robo, telemetry_hz: 10 });
  t.teardown(async () => {
    await bridge.stop();
    await sim.stop();
  });
  const view = await peer(t, 'view');
  await view.sub('ganglion/ref/state');
  await view.next((m) => m.topic === 'ganglion/ref/state' && m.retain, 3000, 'retained state');
  await t.rejects(view.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 }), /Not authorized/);

  const ask = async (p: Peer, user: string, cmd: string, body: unknown) => {
    const id = randomUUID();
    await p.client.publishAsync(`ganglion/ref/cmd/${cmd}`, JSON.stringify(stampCommand(body as object)), { qos: 1, properties: { responseTopic: `ganglion/_reply/${user}/${id}`, correlationData: Buffer.from(id) } });
    const m = await p.next((x) => x.topic === `ganglion/_reply/${user}/${id}`, 8000, `reply to ${cmd}`);
    t.equal(Buffer.from(m.properties?.correlationData ?? []).toString(), id, `${cmd}: correlation data echoed`);
    return ReplyPayload.parse(m.json);
  };
  const plan = await peer(t, 'plan');
  await plan.sub('ganglion/_reply/plan/#');
  const step = await ask(plan, 'plan', 'action', { skill: 'wait', args: { seconds: 0.2 } });
  t.equal(step.ok, true);
  t.equal(SkillStatusPayload.parse(step.result).state, 'done', 'the planner gets the step result');
  t.equal(sim.runtime.snapshot().estop.latched, false, "the viewer's e-stop did nothing");

  const op = await peer(t, 'op');
  await op.sub('ganglion/_reply/op/#');
  const e = await ask(op, 'op', 'estop', { reason: 'through mosquitto' });
  t.equal(e.ok, true);
  const st = await view.next((m) => m.topic === 'ganglion/ref/state' && m.json?.mode === 'estop', 3000, 'estop state');
  t.match(StatePayload.parse(st.json).estop.reason, /through mosquitto/);
  t.equal((await ask(op, 'op', 'clear', {})).ok, true);
});
