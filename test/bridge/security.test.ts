// Attacks with valid accounts on the embedded broker and the bridge (real runtime, posix firmware on ptys): retained commands, client-id takeover, the retained-clear + reconnect chain, replays, stale commands, unknown names.
import t, { type Test } from 'tap';
import { startEmbeddedBroker } from '../../host/bridge/broker.ts';
import { startBridge } from '../../host/bridge/bridge.ts';
import { EventPayload, ReplyPayload, stampCommand, StatusPayload } from '../../host/bridge/topics.ts';
import { startSimRobot } from '../../host/runtime/sim-robot.ts';
import { connackCode, Peer, PASSWORDS, request, testUsers, waitFor } from './helpers.ts';

const sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'ref' });
const runtime = sim.runtime;
const CRED = { username: 'ref-runtime', password: 'in-memory-secret', robots: ['ref'] };
const logs: string[] = [];
const broker = await startEmbeddedBroker({ users: await testUsers(['ref', 'other']), robot_credentials: [CRED], ws_port: null, log: (l) => logs.push(l) });
const bridge = await startBridge({ robot: runtime, url: broker.tcpUrl, username: CRED.username, password: CRED.password, reconnect: { min_ms: 100, max_ms: 500 } });
t.teardown(async () => {
  await bridge.stop();
  await broker.close();
  await sim.stop();
});
type Who = keyof typeof PASSWORDS;
const clients = () => (broker.aedes as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients;

async function peer(t: Test, user: Who, o = {}) {
  const p = await Peer.connect(broker.tcpUrl, user, PASSWORDS[user], o);
  t.teardown(() => p.end());
  return p;
}

/** A command with a response topic; `body` is sent as it is (tests stamp it, or not, themselves). */
const ask = async (p: Peer, user: string, command: string, body: object): Promise<ReplyPayload> => (await request(p, user, command, body, { raw: true })).reply;

t.test('a retained command is refused for every role, and a later subscriber gets nothing', async (t) => {
  const roles: Who[] = ['op', 'plan', 'view', 'robo'];
  for (const who of roles) {
    const p = await peer(t, who);
    const cmd = who === 'plan' ? 'action' : 'clear';
    const payload = JSON.stringify(stampCommand(cmd === 'action' ? { skill: 'wait', args: { seconds: 0.1 } } : {}));
    // The callback form: the negative PUBACK's packet carries the reason string.
    const reason = await new Promise<string | null>((r) => p.client.publish(`ganglion/ref/cmd/${cmd}`, payload, { qos: 1, retain: true }, (err, pk) =>
      r(err ? String((pk as { properties?: { reasonString?: string } } | undefined)?.properties?.reasonString ?? err.message) : null)));
    t.ok(reason, `${who}: retained cmd/${cmd} refused (${reason})`);
    if (who === 'op' || who === 'plan') t.match(reason, /retain refused: commands .* are never retained/, `${who}: the reason says why`);
  }
  const later = await peer(t, 'view');
  await later.sub('ganglion/ref/cmd/+');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(later.inbox.length, 0, 'nothing retained under cmd/ for a later subscriber');
});

t.test('client-id takeover: refused for every other account on the robot id and on another user\'s id; the robot stays connected', async (t) => {
  const v = await peer(t, 'view');
  await v.sub('ganglion/ref/status');
  await v.next((m) => m.json?.online === true, 3000, 'online');
  const connects = bridge.stats().connects;
  const attempts: [string, string, string][] = [
    ...(['op', 'view', 'plan', 'robo', 'robob'] as const).map((u) => [u, PASSWORDS[u], 'ganglion-robot-ref'] as [string, string, string]),
    [CRED.username, CRED.password, 'ganglion-robot-ref'], // the robot's own account: a second login on a live robot id
    ['view', PASSWORDS.view, 'op'], ['view', PASSWORDS.view, 'op-dashboard-1'], ['plan', PASSWORDS.plan, 'view-x'],
  ];
  for (const [username, password, clientId] of attempts) {
    const code = await connackCode(broker.tcpUrl, { protocolVersion: 5, username, password, clientId });
    t.equal(code, 0x85, `${username} as "${clientId}": client identifier not valid`);
  }
  t.match(logs.join('\n'), /refused login of view: client id ganglion-robot-ref belongs to robot ref's account/, 'logged');
  t.match(logs.join('\n'), /refused login of ref-runtime: client id ganglion-robot-ref is in use/, 'the duplicate robot login is logged');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(bridge.stats().connects, connects, 'the bridge was never kicked off');
  t.ok(bridge.stats().connected);
  t.notOk(v.inbox.some((m) => StatusPayload.safeParse(m.json).data?.online === false), 'no Last Will: the robot never went offline');

  // Ids in one's own namespace work; ids in nobody's namespace go under the sender's name, so two users cannot collide.
  t.equal(await connackCode(broker.tcpUrl, { protocolVersion: 5, username: 'view', password: PASSWORDS.view, clientId: 'view-tab-1' }), 0);
  const a = await peer(t, 'view', { clientId: 'shared-name' });
  const b = await peer(t, 'op', { clientId: 'shared-name' });
  t.ok(clients()['view-shared-name'] && clients()['op-shared-name'], 'registered as view-shared-name and op-shared-name');
  await new Promise((r) => setTimeout(r, 200));
  t.ok(a.client.connected && b.client.connected, 'neither kicked the other');
});

t.test('the chain: a retained clear plus a forced reconnect leaves the e-stop latched and nothing re-runs', async (t) => {
  const op = await peer(t, 'op');
  await op.sub('ganglion/_reply/op/#');
  t.equal((await ask(op, 'op', 'estop', stampCommand({ reason: 'chain test' }))).ok, true);
  await waitFor(() => runtime.snapshot().estop.latched, 2000, 'latched');
  await op.client.publishAsync('ganglion/ref/cmd/clear', JSON.stringify(stampCommand({})), { qos: 1, retain: true }).catch(() => {});
  await op.client.publishAsync('ganglion/ref/cmd/action', JSON.stringify(stampCommand({ skill: 'turn', args: { angle_rad: 0.6 } })), { qos: 1, retain: true }).catch(() => {});
  const heading = runtime.snapshot().observation.base?.heading_rad ?? 0;
  const connects = bridge.stats().connects;
  const statuses: string[] = [];
  const onStatus = (s: { skill: string }) => statuses.push(s.skill);
  runtime.on('skill_status', onStatus);
  t.teardown(() => void runtime.off('skill_status', onStatus));
  clients()['ganglion-robot-ref']!.conn.destroy(); // the broker drops the robot: it reconnects and resubscribes
  await waitFor(() => bridge.stats().connects === connects + 1 && bridge.stats().connected, 5000, 'the bridge to reconnect');
  await new Promise((r) => setTimeout(r, 500));
  t.ok(runtime.snapshot().estop.latched, 'still latched after the reconnect');
  t.same(statuses, [], 'no skill ran');
  t.ok(Math.abs((runtime.snapshot().observation.base?.heading_rad ?? 0) - heading) < 0.05, 'heading unchanged');
  t.equal((await ask(op, 'op', 'clear', stampCommand({}))).ok, true, 'a fresh, authorised clear does clear it');
  t.notOk(runtime.snapshot().estop.latched);
});

t.test('replayed and stale commands are refused with a reply and an event; an e-stop still stops', async (t) => {
  const op = await peer(t, 'op');
  await op.sub(['ganglion/_reply/op/#', 'ganglion/ref/events']);
  const once = stampCommand({});
  t.equal((await ask(op, 'op', 'arm', once)).ok, true, 'first use of an id');
  const replay = await ask(op, 'op', 'arm', once);
  t.equal(replay.ok, false);
  t.match(replay.error, /id "[0-9a-f]+" was already used: a replay/);
  const stale = await ask(op, 'op', 'arm', stampCommand({}, undefined, Date.now() - 60_000));
  t.match(stale.error, /stale, at_ms is 60\.\d s old \(the freshness window is 10 s\)/);
  const future = await ask(op, 'op', 'arm', stampCommand({}, undefined, Date.now() + 60_000));
  t.match(future.error, /in the future/);
  const bare = await ask(op, 'op', 'arm', {});
  t.match(bare.error, /arm: id/, 'no id: refused naming the field');
  const events = await waitFor(() => {
    const e = op.on('ganglion/ref/events').map((m) => EventPayload.parse(m.json)).filter((x) => x.kind === 'command_error');
    return e.length >= 4 ? e : null;
  }, 3000, 'an event per refusal');
  t.ok(events.some((e) => /replay/.test(e.text)) && events.some((e) => /stale/.test(e.text)));
  const e = await ask(op, 'op', 'estop', stampCommand({ reason: 'stale stop' }, undefined, Date.now() - 60_000));
  t.equal(e.ok, true, 'a stale e-stop still stops (stopping is always safe)');
  t.match(e.error, /stale/, 'and says it was stale');
  await waitFor(() => runtime.snapshot().estop.latched, 2000, 'latched');
  await runtime.clearEstop();
});

t.test('unknown joint, skill or argument: refused with its name', async (t) => {
  const op = await peer(t, 'op');
  await op.sub('ganglion/_reply/op/#');
  const joint = await ask(op, 'op', 'teleop', stampCommand({ velocity_radps: { wheel_left: 0.1, elbow_x: 1 }, deadman: true }));
  t.equal(joint.ok, false);
  t.match(joint.error, /teleop: velocity_radps: unknown joint "elbow_x" \(joints: .*wheel_left/);
  const skill = await ask(op, 'op', 'action', stampCommand({ skill: 'fly' }));
  t.match(skill.error, /unknown skill "fly" \(skills: .*wait/);
  const arg = await ask(op, 'op', 'action', stampCommand({ skill: 'wait', args: { secs: 1 } }));
  t.match(arg.error, /skill "wait" has no argument "secs" \(arguments: seconds\)/);
  t.not(runtime.snapshot().mode, 'teleop', 'the refused teleop did not take over');
});
