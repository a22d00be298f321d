// The robot's MQTT 5 connection as the bridge opens and closes it: one client id per robot, clean start, a retained offline will, and a bounded goodbye.
import type { PeerCertificate } from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { noDelay } from '../util/mqtt-no-delay.ts';

export interface RobotClientOptions {
  url: string;
  robotId: string;
  username: string;
  password: string;
  /** [s] MQTT keepalive (default 5). */
  keepalive_s?: number;
  /** PEM CA for a broker with a private certificate. */
  ca?: string | string[] | Buffer;
  /** A check of the broker's certificate beside the CA's (e.g. a pinned certificate for the robot's own broker). */
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
  /** Where the broker publishes `willPayload` (retained) if the robot vanishes. */
  statusTopic: string;
  willPayload: unknown;
}

/** Connects (the bridge reconnects with its own backoff: reconnectPeriod 0). */
export function connectRobotClient(o: RobotClientOptions): MqttClient {
  const opts: IClientOptions = {
    protocolVersion: 5,
    username: o.username,
    password: o.password,
    // One id per robot: a restarted runtime takes the old session over instead of leaving a ghost beside it.
    clientId: `ganglion-robot-${o.robotId}`,
    // Clean start: commands sent while the robot was away (teleop above all) are stale and must never run later.
    clean: true,
    keepalive: o.keepalive_s ?? 5,
    connectTimeout: 5000,
    reconnectPeriod: 0, // the bridge's own backoff
    queueQoSZero: false, // never a burst of stale telemetry after a reconnect
    resubscribe: false,
    will: { topic: o.statusTopic, payload: Buffer.from(JSON.stringify(o.willPayload)), qos: 1, retain: true },
    ...(o.ca ? { ca: o.ca, rejectUnauthorized: true } : {}),
    ...(o.checkServerIdentity ? { checkServerIdentity: o.checkServerIdentity } : {}),
  };
  return noDelay(mqtt.connect(o.url, opts));
}

/** Publishes `offlineStatus` (retained) if connected, then disconnects; each step bounded to 1 s (a vanished broker never acks). */
export async function closeRobotClient(client: MqttClient, statusTopic: string, offlineStatus: unknown): Promise<void> {
  if (client.connected) {
    await new Promise<void>((r) => {
      const to = setTimeout(r, 1000);
      client.publish(statusTopic, JSON.stringify(offlineStatus), { qos: 1, retain: true }, () => {
        clearTimeout(to);
        r();
      });
    });
  }
  await new Promise<void>((r) => {
    const to = setTimeout(() => {
      client.end(true);
      r();
    }, 1000);
    client.end(false, {}, () => {
      clearTimeout(to);
      r();
    });
  });
}
