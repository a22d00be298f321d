// Nagle off on every mqtt.js client we dial: on the first socket (while it connects) and on the one each reconnect builds.
import t from 'tap';
import type { Socket } from 'node:net';
import mqtt from 'mqtt';
import { noDelay } from '../../host/util/mqtt-no-delay.ts';
import { PASSWORDS, startTestBroker } from '../dashboard/helpers/broker.ts';

/** Records setNoDelay calls on a socket (the flag has no getter in Node). */
function spy(s: Socket, calls: boolean[]): void {
  const set = s.setNoDelay.bind(s);
  s.setNoDelay = (on?: boolean) => (calls.push(on ?? true), set(on));
}

t.test('noDelay sets TCP_NODELAY on the connecting socket and again after a reconnect', async (t) => {
  const broker = await startTestBroker(['r1']);
  t.teardown(() => broker.close());
  const client = mqtt.connect(broker.tcpUrl, { username: 'robot', password: PASSWORDS.robot, protocolVersion: 5, reconnectPeriod: 100 });
  t.teardown(() => client.end(true));
  const first: boolean[] = [];
  spy(client.stream as Socket, first);
  noDelay(client);
  t.same(first, [true], 'set before the CONNECT is written');
  await new Promise<void>((r) => client.once('connect', () => r()));
  const firstStream = client.stream;
  (client.stream as Socket).destroy(); // the broker link drops; mqtt.js reconnects on a new socket
  await new Promise<void>((r) => client.once('reconnect', () => r()));
  t.not(client.stream, firstStream, 'a new socket');
  const second: boolean[] = [];
  spy(client.stream as Socket, second);
  await new Promise<void>((r) => client.once('connect', () => r()));
  t.same(second, [true], 'set on the new socket once it is connected');
});
