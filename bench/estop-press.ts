// Bench 12's floor for "an e-stop from another process": a bare MQTT client in its own process that publishes the e-stop command on cue, as the page does.
// Usage: node --import tsx bench/estop-press.ts <mqtt url> <username> <password> <robot id>
// Prints "ready", then for every "press" line on stdin publishes the e-stop (QoS 1, with a response topic, like the
// page) and prints the wall time (performance.timeOrigin-based, ms) it did so.
import { createInterface } from 'node:readline';
import mqtt from 'mqtt';
import { replyTopic, stampCommand, topics } from '../host/bridge/topics.ts';
import { noDelay } from '../host/util/mqtt-no-delay.ts';

const [url, username, password, robot] = process.argv.slice(2) as [string, string, string, string];
const client = noDelay(await mqtt.connectAsync(url, { username, password, protocolVersion: 5, clientId: `bench-estop-${process.pid}` }));
let n = 0;
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'press') continue;
  const id = `bench-${++n}`;
  const at_ms = performance.timeOrigin + performance.now();
  client.publish(topics(robot).cmd('estop'), JSON.stringify(stampCommand({ reason: 'bench: e-stop from another process' })), {
    qos: 1,
    properties: { responseTopic: replyTopic(username, id), correlationData: Buffer.from(id) },
  });
  process.stdout.write(`${at_ms}\n`);
}
await client.endAsync();
