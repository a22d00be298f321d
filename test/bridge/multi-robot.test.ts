// Two robots (two runtimes, two bridges, two robot accounts) on one broker: each has its own tree, a command to one never touches the other, and neither can speak for the other.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { startEmbeddedBroker } from '../../host/bridge/broker.ts';
import { startBridge } from '../../host/bridge/bridge.ts';
import { ReplyPayload, StatePayload, StatusPayload, TelemetryPayload, stampCommand } from '../../host/bridge/topics.ts';
import { startSimRobot } from '../../host/runtime/sim-robot.ts';
import { Peer, PASSWORDS, testUsers, waitFor } from './helpers.ts';

t.test('two robots share one broker without collisions', async (t) => {
  // Skills are not run here: two runtimes in one process share the skill-status BroadcastChannel (see the report).
  const [ra, rb] = await Promise.all([
    startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'ra', rate_hz: 250 }),
    startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'rb', rate_hz: 250 }),
  ]);
  const broker = await startEmbeddedBroker({ users: await testUsers(['ra', 'rb']), ws_port: null });
  // Robot accounts from the users file this time (role robot, one robot each).
  const ba = await startBridge({ robot: ra.runtime, url: broker.tcpUrl, username: 'robo', password: PASSWORDS.robo, telemetry_hz: 10 });
  const bb = await startBridge({ robot: rb.runtime, url: broker.tcpUrl, username: 'robob', password: PASSWORDS.robob, telemetry_hz: 10 });
  t.teardown(async () => {
    await Promise.all([ba.stop(), bb.stop()]);
    await broker.close();
    await Promise.all([ra.stop(), rb.stop()]);
  });
  const v = await Peer.connect(broker.tcpUrl, 'view', PASSWORDS.view);
  const op = await Peer.connect(broker.tcpUrl, 'op', PASSWORDS.op);
  t.teardown(() => Promise.all([v.end(), op.end()]));
  await v.sub(['ganglion/+/status', 'ganglion/+/state', 'ganglion/+/telemetry/base']);
  await op.sub('ganglion/_reply/op/#');
  for (const r of ['ra', 'rb']) {
    const s = await v.next((m) => m.topic === `ganglion/${r}/status`, 3000, `${r} status`);
    t.equal(StatusPayload.parse(s.json).robot, r, `${r} online under its own id`);
    const tel = await v.next((m) => m.topic === `ganglion/${r}/telemetry/base`, 3000, `${r} telemetry`);
    t.equal(TelemetryPayload.parse(tel.json).robot, r);
  }

  const id = randomUUID();
  await op.client.publishAsync('ganglion/ra/cmd/estop', JSON.stringify(stampCommand({ reason: 'only a' })), {
    qos: 1, properties: { responseTopic: `ganglion/_reply/op/${id}`, correlationData: Buffer.from(id) },
  });
  const reply = await op.next((m) => m.topic === `ganglion/_reply/op/${id}`, 3000, 'the reply');
  t.equal(ReplyPayload.parse(reply.json).ok, true);
  await waitFor(() => ra.runtime.snapshot().estop.latched, 2000, 'a latched');
  const sinceLatch = performance.now();
  await new Promise((r) => setTimeout(r, 300));
  t.equal(op.inbox.filter((m) => m.topic === `ganglion/_reply/op/${id}`).length, 1, 'exactly one reply (robot b did not answer)');
  t.equal(rb.runtime.snapshot().estop.latched, false, 'robot b is not e-stopped');
  const stateA = await v.next((m) => m.topic === 'ganglion/ra/state' && m.at_ms > sinceLatch - 300 && m.json?.mode === 'estop', 3000, 'a state: estop');
  t.match(StatePayload.parse(stateA.json).estop.reason, /only a/, 'with its reason');
  const stateB = v.on('ganglion/rb/state').at(-1);
  t.not(stateB && StatePayload.parse(stateB.json).mode, 'estop', "b's state is unaffected");

  // Robot a's account cannot speak for robot b.
  const spoof = await Peer.connect(broker.tcpUrl, 'robo', PASSWORDS.robo, { clientId: 'spoof' });
  t.teardown(() => spoof.end());
  await t.rejects(spoof.client.publishAsync('ganglion/rb/status', JSON.stringify({ online: false }), { qos: 1, retain: true }), /Not authorized/);
  await t.rejects(spoof.client.publishAsync('ganglion/rb/telemetry/base', '{}', { qos: 1 }), /Not authorized/);
  await new Promise((r) => setTimeout(r, 200));
  t.notOk(v.on('ganglion/rb/status').some((m) => m.json?.online === false), "no forged status reached b's subscribers");
  await ra.runtime.clearEstop();
});
