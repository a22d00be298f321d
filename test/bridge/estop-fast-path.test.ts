// The e-stop fast path: the embedded broker hands an authorized cmd/estop publish to its listeners as it accepts it (before routing), the bridge stops the robot there, and the command is still answered; an unauthorized one reaches nobody.
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { startEmbeddedBroker } from '../../host/bridge/broker.ts';
import { startBridge } from '../../host/bridge/bridge.ts';
import { ReplyPayload, stampCommand } from '../../host/bridge/topics.ts';
import { startSimRobot } from '../../host/runtime/sim-robot.ts';
import { Peer, PASSWORDS, testUsers, waitFor } from './helpers.ts';

t.test('the broker calls its e-stop listeners for authorized publishes only', async (t) => {
  const broker = await startEmbeddedBroker({ users: await testUsers(['ref']), ws_port: null });
  t.teardown(() => broker.close());
  const seen: [string, string][] = [];
  const off = broker.onEstop((robot, who) => seen.push([robot, who]));
  const op = await Peer.connect(broker.tcpUrl, 'op', PASSWORDS.op);
  const view = await Peer.connect(broker.tcpUrl, 'view', PASSWORDS.view);
  t.teardown(() => Promise.all([op.end(), view.end()]));
  await view.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 }).catch(() => {});
  await op.client.publishAsync('ganglion/ref/cmd/estop', 'not even json', { qos: 1 });
  await op.client.publishAsync('ganglion/ref/cmd/arm', '{}', { qos: 1 });
  t.same(seen, [['ref', 'op']], 'the operator\'s e-stop (whatever its payload), not the viewer\'s, not other commands');
  off();
  await op.client.publishAsync('ganglion/ref/cmd/estop', '{}', { qos: 1 });
  t.equal(seen.length, 1, 'unsubscribed: no more calls');
});

t.test('the bridge stops the robot on the fast path and still answers the command', async (t) => {
  const sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'ref' });
  const CRED = { username: 'ref-runtime', password: 'in-memory-secret', robots: ['ref'] };
  const broker = await startEmbeddedBroker({ users: await testUsers(['ref']), robot_credentials: [CRED], ws_port: null });
  const bridge = await startBridge({ robot: sim.runtime, url: broker.tcpUrl, username: CRED.username, password: CRED.password, broker });
  t.teardown(async () => {
    await bridge.stop();
    await broker.close();
    await sim.stop();
  });
  const op = await Peer.connect(broker.tcpUrl, 'op', PASSWORDS.op);
  t.teardown(() => op.end());
  await op.sub('ganglion/_reply/op/#');
  const id = randomUUID();
  await op.client.publishAsync('ganglion/ref/cmd/estop', JSON.stringify(stampCommand({ reason: 'the command\'s own reason' })), { qos: 1, properties: { responseTopic: `ganglion/_reply/op/${id}` } });
  const reply = await op.next((m) => m.topic === `ganglion/_reply/op/${id}`, 5000, 'the e-stop reply');
  t.equal(ReplyPayload.parse(reply.json).ok, true, 'answered as a command');
  // The latch keeps the first reason it was given: the fast path's, which came before the bridge parsed the command.
  await waitFor(() => sim.runtime.snapshot().estop.latched, 2000, 'the latch');
  t.equal(sim.runtime.snapshot().estop.reason, 'e-stop from op', 'latched by the fast path, before the bridge read the command');
  await sim.runtime.clearEstop();

  // Without the broker handed to it, the bridge latches from the command itself.
  await bridge.stop();
  const plain = await startBridge({ robot: sim.runtime, url: broker.tcpUrl, username: CRED.username, password: CRED.password });
  t.teardown(() => plain.stop());
  const id2 = randomUUID();
  await op.client.publishAsync('ganglion/ref/cmd/estop', JSON.stringify(stampCommand({ reason: 'the command\'s own reason' })), { qos: 1, properties: { responseTopic: `ganglion/_reply/op/${id2}` } });
  await op.next((m) => m.topic === `ganglion/_reply/op/${id2}`, 5000, 'the second reply');
  t.equal(sim.runtime.snapshot().estop.reason, 'the command\'s own reason');
  await sim.runtime.clearEstop();
});
