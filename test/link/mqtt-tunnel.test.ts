// The link over MQTT: host session -> MqttTunnelTransport -> embedded aedes broker -> MqttSerialBridge -> pty ->
// posix firmware. The session connects, identifies, configures and pings exactly as over a serial port.
import t from 'tap';
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { SerialTransport } from '../../host/link/serial.ts';
import { McuSession } from '../../host/link/session.ts';
import { MqttSerialBridge, MqttTunnelTransport, tunnelTopics } from '../../host/link/mqtt-tunnel.ts';
import { referenceNode, startMcu } from './helpers/posix.ts';

t.test('a session over the MQTT tunnel connects, identifies and pings', async (t) => {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
  });
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const topics: string[] = [];
  broker.on('publish', (packet) => { if (!topics.includes(packet.topic) && !packet.topic.startsWith('$SYS')) topics.push(packet.topic); });

  const mcu = await startMcu(t);
  const { node, board } = referenceNode('base');
  const bridge = new MqttSerialBridge({ url, robot: 'ref', node: 'base', transport: SerialTransport.forBoard(mcu.ptyPath!, board) });
  t.teardown(() => bridge.stop());
  await bridge.start();

  const transport = new MqttTunnelTransport({ url, robot: 'ref', node: 'base' });
  t.equal(transport.name, 'mqtt:ganglion/ref/tunnel/base');
  const s = new McuSession({ transport, node, board });
  t.teardown(() => s.close());
  const id = await s.connect();
  t.equal(id.nodeId, '', 'identify_reply came back through the broker');
  const rtts: number[] = [];
  for (let i = 0; i < 10; i++) rtts.push(await s.ping());
  t.ok(rtts.every((us) => us > 0), `ping over MQTT: ${rtts.join(', ')} us`);
  await s.arm();
  t.ok(s.stats().telemetry.telemetryFrames > 0, 'telemetry streams up the tunnel');
  const { down, up } = tunnelTopics('ref', 'base');
  t.ok(topics.includes(down) && topics.includes(up), `frames went over ${down} and ${up}`);
  t.ok(bridge.stats.down > 0 && bridge.stats.up > 0);
});

t.test('topic levels are validated', async (t) => {
  t.throws(() => tunnelTopics('ro/bot', 'base'), /robot name/);
  t.throws(() => tunnelTopics('r', '#'), /node name/);
});
