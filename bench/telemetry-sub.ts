// Bench 12's floor for "telemetry -> another process": a bare MQTT subscriber in its own process, run by the bench at the browser's nice.
// Usage: node --import tsx bench/telemetry-sub.ts <mqtt url> <username> <password> <topic filter> <skip topic suffix>
// Prints, once stdin closes, one JSON line: the arrival minus the host's receive time of every message, in ms.
import mqtt from 'mqtt';
import { noDelay } from '../host/util/mqtt-no-delay.ts';

const [url, username, password, filter, skip] = process.argv.slice(2) as [string, string, string, string, string];
const wallMs = () => performance.timeOrigin + performance.now();
const client = noDelay(await mqtt.connectAsync(url, { username, password, protocolVersion: 5, clientId: `bench-floor-${process.pid}` }));
const ages_ms: number[] = [];
client.on('message', (topic, payload) => {
  if (topic.endsWith(skip)) return;
  const arrived = wallMs();
  ages_ms.push(arrived - (JSON.parse(payload.toString()) as { received_at_ms: number }).received_at_ms);
});
await client.subscribeAsync(filter, { qos: 0 });
// Ready: the bench starts its window after this line and ends it by closing our stdin.
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', async () => {
  await client.endAsync();
  process.stdout.write(`${JSON.stringify(ages_ms)}\n`);
});
