// A TLS-only mosquitto from `ganglion broker-config` (real mosquitto from apt, ephemeral ports, openssl certs): no plain listener, bad certs refused; retained commands from every role never run and are deleted; client ids are usernames, so no role takes over the robot's or another user's session; a retained clear plus a forced reconnect leaves the e-stop latched; replayed and stale command ids are refused.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { startBridge, type Bridge } from '../../host/bridge/bridge.ts';
import { EventPayload, stampCommand, StatusPayload } from '../../host/bridge/topics.ts';
import type { RobotControl } from '../../host/runtime/control.ts';
import { brokerConfigMain } from '../../host/cli/broker-config.ts';
import { startSimRobot } from '../../host/runtime/sim-robot.ts';
import { connackCode, freePort, Peer, request, selfSignedCert, startMosquitto, tempDir, waitFor } from './helpers.ts';

const dir = tempDir(t);
const usersFile = join(dir, 'users.json');
const PW = { op: 'operator-pw', view: 'viewer-pw-1', plan: 'planner-pw1', robo: 'robot-pw-12', robob: 'robot-pw-b2', watch: 'watcher-pw1' };
const quiet = () => {};
// `watch` is a second viewer that only watches: with one session per account, the attackers below never replace it.
for (const [name, role, robots] of [['op', 'operator'], ['view', 'viewer'], ['plan', 'planner'], ['robo', 'robot', 'ref'], ['robob', 'robot', 'other'], ['watch', 'viewer']] as const) {
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

type Who = keyof typeof PW;
/** A command each role would want to plant: the robot's own account may write its cmd/+ (to delete retained ones). */
const PLANTS: [Who, string, object][] = [
  ['op', 'clear', {}],
  ['plan', 'action', { skill: 'turn', args: { angle_rad: 0.6 } }],
  ['view', 'clear', {}], // refused by the ACL: a viewer publishes nothing
  ['robob', 'clear', {}], // another robot's account: not this robot's topics
  ['robo', 'action', { skill: 'turn', args: { angle_rad: 0.6 } }],
];

/** Publishes `body` retained on the robot's cmd/<command>, as `who`, and logs out; the PUBACK code, or the error. */
async function plant(t: Test, who: Who, command: string, body: object): Promise<string> {
  const p = await peer(t, who);
  const r = await p.client.publishAsync(`ganglion/ref/cmd/${command}`, JSON.stringify(stampCommand(body)), { qos: 1, retain: true }).then(
    (pk) => `puback ${(pk as { reasonCode?: number } | undefined)?.reasonCode ?? 0}`, (e: Error) => e.message);
  await p.end();
  return r;
}

/** What stays stored under cmd/ for a subscriber arriving now. */
async function retainedCommands(t: Test): Promise<string[]> {
  const later = await peer(t, 'view'); // not `watch`: one session per account, and the watchers stay subscribed
  await later.sub('ganglion/ref/cmd/+');
  await new Promise((r) => setTimeout(r, 400));
  await later.end();
  return later.inbox.filter((m) => m.retain && m.payload.length > 0).map((m) => m.topic);
}

function skillsRun(t: Test, robot: RobotControl): string[] {
  const ran: string[] = [];
  const on = (s: { skill: string }) => ran.push(s.skill);
  robot.on('skill_status', on);
  t.teardown(() => void robot.off('skill_status', on));
  return ran;
}

async function latchedRobot(t: Test) {
  const sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'ref' });
  t.teardown(() => sim.stop());
  await sim.runtime.estop('latched before the bridge');
  return sim;
}

async function bridgeOn(t: Test, robot: RobotControl): Promise<Bridge> {
  const bridge = await startBridge({ robot, url, ca, username: 'robo', password: PW.robo, reconnect: { min_ms: 100, max_ms: 500 } });
  t.teardown(() => bridge.stop());
  return bridge;
}

const heading = (robot: RobotControl) => robot.snapshot().observation.base?.heading_rad ?? 0;

t.test('retained commands planted by every role before the bridge starts: none runs, the bridge says so and deletes them', async (t) => {
  const sim = await latchedRobot(t);
  const outcomes = [];
  for (const [who, command, body] of PLANTS) outcomes.push(`${who} ${command}: ${await plant(t, who, command, body)}`);
  t.comment(outcomes.join('; '));
  const stored = await retainedCommands(t);
  // mosquitto stores what the ACL lets through (the operator's, the planner's, the robot account's): never a viewer's or another robot's.
  t.same(stored.sort(), ['ganglion/ref/cmd/action', 'ganglion/ref/cmd/clear'], 'stored before the bridge: only what the ACL lets through');
  const v = await peer(t, 'watch');
  await v.sub(['ganglion/ref/events', 'ganglion/ref/status']);
  const h0 = heading(sim.runtime);
  const ran = skillsRun(t, sim.runtime);

  await bridgeOn(t, sim.runtime);
  for (const c of ['clear', 'action']) {
    const ev = await v.next((m) => m.topic === 'ganglion/ref/events' && new RegExp(`^${c}: arrived retained`).test(m.json?.text ?? ''), 5000, `the ${c} refusal event`);
    t.match(EventPayload.parse(ev.json).text, /arrived retained .* not run/, `${c}: refused`);
  }
  await new Promise((r) => setTimeout(r, 300));
  t.ok(sim.runtime.snapshot().estop.latched, 'the e-stop is still latched');
  t.same(ran, [], 'no skill ran');
  t.ok(Math.abs(heading(sim.runtime) - h0) < 0.05, 'heading unchanged');
  t.same(await retainedCommands(t), [], 'the robot deleted them: a later subscriber gets nothing');
});

t.test('retained commands from every role while the bridge is up: refused as they arrive and deleted; the chain (retained clear + forced reconnect) leaves the e-stop latched', async (t) => {
  const sim = await latchedRobot(t);
  const v = await peer(t, 'watch');
  await v.sub(['ganglion/ref/events', 'ganglion/ref/status']);
  const bridge = await bridgeOn(t, sim.runtime);
  await v.next((m) => m.topic === 'ganglion/ref/status' && m.json?.online === true, 3000, 'online');
  const h0 = heading(sim.runtime);
  const ran = skillsRun(t, sim.runtime);
  const refusals = () => v.on('ganglion/ref/events').filter((m) => /arrived retained/.test(m.json?.text ?? '')).length;

  // Live delivery clears the retain flag unless the subscriber asks for it as published: the bridge does, so a
  // retained command is refused even when it was published while the robot listened (and deleted at once).
  for (const [who, command, body] of PLANTS.filter(([w]) => w !== 'robo')) {
    const before = refusals();
    const r = await plant(t, who, command, body);
    if (who === 'op' || who === 'plan') {
      await waitFor(() => refusals() > before, 5000, `${who}'s retained ${command} to be refused`);
    }
    t.pass(`${who}: retained ${command} (${r}): not run`);
  }
  await new Promise((r) => setTimeout(r, 300));
  t.ok(sim.runtime.snapshot().estop.latched, 'still latched');
  t.same(await retainedCommands(t), [], 'nothing stays stored for a later subscriber');

  // The chain: plant a clear and a turn again, then force a reconnect. With one session per account, the robot's own
  // account logging in elsewhere (a stolen password) is the one way to kick the bridge; it plants on its way too.
  const connects = bridge.stats().connects;
  const before = refusals();
  t.match(await plant(t, 'op', 'clear', {}), /puback 0/, 'the operator plants a retained clear');
  t.match(await plant(t, 'robo', 'action', { skill: 'turn', args: { angle_rad: 0.6 } }), /puback 0/, 'the robot account (logged in elsewhere) plants a turn, kicking the bridge');
  await waitFor(() => bridge.stats().connects > connects && bridge.stats().connected, 5000, 'the bridge to be kicked and come back');
  await waitFor(() => refusals() >= before + 2, 5000, 'both retained commands refused');
  await new Promise((r) => setTimeout(r, 500));
  t.ok(sim.runtime.snapshot().estop.latched, 'after the forced reconnect the e-stop is still latched');
  t.same(ran, [], 'no skill ran');
  t.ok(Math.abs(heading(sim.runtime) - h0) < 0.05, 'heading unchanged');
  t.same(await retainedCommands(t), [], 'and nothing is left stored');
});

t.test('client-id takeover by each role, on the robot\'s id and on another user\'s id: every account connects as itself; the robot and the other user stay connected', async (t) => {
  const sim = await latchedRobot(t);
  const v = await peer(t, 'watch');
  await v.sub('ganglion/ref/status');
  const bridge = await bridgeOn(t, sim.runtime);
  const online = await v.next((m) => m.topic === 'ganglion/ref/status' && m.json?.online === true, 3000, 'online');
  const connects = bridge.stats().connects;
  const logFrom = mosq.log().length;
  // A victim session per attacker: another user's account (never the attacker's own: one account, one session).
  const victims = { op: 'plan', view: 'plan', plan: 'op', robob: 'op' } as const;
  for (const [attacker, victim] of Object.entries(victims) as [Who, Who][]) {
    const held = await peer(t, victim);
    let kicked = false;
    held.client.on('close', () => (kicked = true));
    for (const id of ['robo', 'ganglion-robot-ref', victim]) {
      const code = await connackCode(url, { protocolVersion: 5, username: attacker, password: PW[attacker], clientId: id, ca, rejectUnauthorized: true });
      t.equal(code, 0, `${attacker} asking for "${id}": logged in, as ${attacker}`);
    }
    await new Promise((r) => setTimeout(r, 200));
    t.notOk(kicked, `${victim}'s session was not taken over by ${attacker}`);
    await held.end();
  }
  await new Promise((r) => setTimeout(r, 300));
  t.equal(bridge.stats().connects, connects, 'the bridge was never kicked off');
  t.notOk(v.inbox.some((m) => m.at_ms > online.at_ms && m.topic === 'ganglion/ref/status' && StatusPayload.safeParse(m.json).data?.online === false), 'no Last Will: the robot never went offline');
  t.notMatch(mosq.log().slice(logFrom), /Client (robo|plan|op) already connected/, 'mosquitto never closed the robot\'s or a victim\'s session');
  t.ok(sim.runtime.snapshot().estop.latched, 'still latched');
});

t.test('replayed and stale commands through mosquitto: refused with a reply naming why; a stale e-stop still stops', async (t) => {
  const sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'ref' });
  t.teardown(() => sim.stop());
  await bridgeOn(t, sim.runtime);
  const op = await peer(t, 'op');
  await op.sub(['ganglion/_reply/op/#']);
  const ask = async (command: string, body: object) => (await request(op, 'op', command, body, { raw: true })).reply;
  const once = stampCommand({});
  t.equal((await ask('arm', once)).ok, true, 'first use of an id');
  const replay = await ask('arm', once);
  t.equal(replay.ok, false, 'the same id again: refused');
  t.match(replay.error, /id "[0-9a-f]+" was already used: a replay/);
  t.match((await ask('arm', stampCommand({}, undefined, Date.now() - 60_000))).error, /stale, at_ms is 60\.\d s old \(the freshness window is 10 s\)/);
  const stop = await ask('estop', stampCommand({ reason: 'stale stop' }, undefined, Date.now() - 60_000));
  t.equal(stop.ok, true, 'a stale e-stop still stops (stopping is always safe)');
  await waitFor(() => sim.runtime.snapshot().estop.latched, 2000, 'latched');
});
