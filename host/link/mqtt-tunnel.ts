// The link's frames over MQTT, for boards behind a WiFi serial bridge: the host side (a Transport) and the bridge
// side (MqttSerialBridge, what an ESP-link style device does). Topics carry raw bytes, QoS 0: the frame layer's
// CRC and the session's retransmission already handle loss, so broker-level acks would only add latency.
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { noDelay } from '../util/mqtt-no-delay.ts';
import { TransportError, type Transport } from './transport.ts';

export interface TunnelTopics {
  /** host -> MCU */
  down: string;
  /** MCU -> host */
  up: string;
}

export function tunnelTopics(robot: string, node: string): TunnelTopics {
  for (const [what, v] of [['robot', robot], ['node', node]] as const) {
    if (!v || /[+#/]/.test(v)) throw new RangeError(`${what} name "${v}" cannot be an MQTT topic level`);
  }
  const base = `ganglion/${robot}/tunnel/${node}`;
  return { down: `${base}/down`, up: `${base}/up` };
}

export interface TunnelOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883 */
  url: string;
  robot: string;
  node: string;
  clientOptions?: IClientOptions;
}

/** Host side: a Transport whose bytes travel over the broker to a MqttSerialBridge. */
export class MqttTunnelTransport implements Transport {
  readonly name: string;
  private client: MqttClient | null = null;
  private readonly topics: TunnelTopics;
  private readonly dataListeners: ((b: Uint8Array) => void)[] = [];
  private readonly closeListeners: ((err?: Error) => void)[] = [];

  constructor(private readonly o: TunnelOptions) {
    this.topics = tunnelTopics(o.robot, o.node);
    this.name = `mqtt:ganglion/${o.robot}/tunnel/${o.node}`;
  }

  get isOpen(): boolean {
    return this.client?.connected ?? false;
  }

  async open(): Promise<void> {
    if (this.isOpen) return;
    let client: MqttClient;
    try {
      // No client-side reconnect: a lost broker closes the transport and the session's reconnect loop takes over.
      client = noDelay(await connectAsync(this.o.url, { reconnectPeriod: 0, connectTimeout: 5000, ...this.o.clientOptions }));
    } catch (e) {
      throw new TransportError('missing', `no MQTT broker at ${this.o.url} for ${this.name}: ${(e as Error).message}`);
    }
    client.on('message', (topic, payload) => {
      if (topic !== this.topics.up) return;
      const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
      for (const l of this.dataListeners) l(bytes);
    });
    client.on('error', () => undefined); // surfaces as 'close'
    client.once('close', () => {
      if (this.client !== client) return;
      this.client = null;
      for (const l of this.closeListeners) l(new TransportError('closed', `connection to the MQTT broker for ${this.name} lost`));
    });
    await client.subscribeAsync(this.topics.up, { qos: 0 });
    this.client = client;
  }

  write(bytes: Uint8Array): void {
    if (!this.client?.connected) throw new TransportError('closed', `${this.name} is not open`);
    this.client.publish(this.topics.down, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { qos: 0 });
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (err?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.endAsync();
  }
}

export interface BridgeOptions extends TunnelOptions {
  /** The MCU side: usually a SerialTransport. */
  transport: Transport;
  /** [ms] how often to retry opening the MCU side after it went away. */
  reopenMs?: number;
}

/** Bridge side: copies bytes between a Transport (the MCU's serial port) and the tunnel topics. */
export class MqttSerialBridge {
  private client: MqttClient | null = null;
  private running = false;
  private reopenTimer: NodeJS.Timeout | null = null;
  private readonly topics: TunnelTopics;
  /** Chunks moved each way, and MCU-side writes lost because the port was closed. */
  readonly stats = { down: 0, up: 0, droppedDown: 0 };

  constructor(private readonly o: BridgeOptions) {
    this.topics = tunnelTopics(o.robot, o.node);
    o.transport.onData((bytes) => {
      if (!this.running || !this.client?.connected) return;
      this.stats.up++;
      this.client.publish(this.topics.up, Buffer.from(bytes), { qos: 0 });
    });
    o.transport.onClose((err) => {
      if (this.running && err) this.scheduleReopen();
    });
  }

  async start(): Promise<void> {
    this.running = true;
    // The bridge is the long-lived device end: let the MQTT client reconnect by itself, like ESP-link does.
    const client = noDelay(await connectAsync(this.o.url, { reconnectPeriod: 500, ...this.o.clientOptions }));
    client.on('error', () => undefined);
    client.on('message', (topic, payload) => {
      if (topic !== this.topics.down) return;
      this.stats.down++;
      try {
        this.o.transport.write(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
      } catch {
        this.stats.droppedDown++;
      }
    });
    await client.subscribeAsync(this.topics.down, { qos: 0 });
    this.client = client;
    if (!this.o.transport.isOpen) await this.o.transport.open();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    const c = this.client;
    this.client = null;
    if (c) await c.endAsync();
    if (this.o.transport.isOpen) await this.o.transport.close();
  }

  private scheduleReopen(): void {
    if (this.reopenTimer) return;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      if (!this.running || this.o.transport.isOpen) return;
      this.o.transport.open().catch(() => this.scheduleReopen());
    }, this.o.reopenMs ?? 500);
  }
}
