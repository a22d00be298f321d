// Test helpers for the bridge: users, MQTT clients with an inbox, condition waits, free ports, a real mosquitto, a self-signed certificate.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { ReplyPayload, stampCommand } from '../../host/bridge/topics.ts';
import { makeUser, type User } from '../../host/bridge/users.ts';

/** Cheap scrypt cost for tests: the cost is stored per user, so verification uses it too. */
const FAST = { scrypt: { N: 1024 }, pbkdf2_iterations: 1000 };
export const PASSWORDS = { op: 'operator-pw', view: 'viewer-pw-1', plan: 'planner-pw1', robo: 'robot-pw-12', robob: 'robot-pw-b2' } as const;

export async function testUsers(robots: string[] = ['ref']): Promise<User[]> {
  return Promise.all([
    makeUser('op', 'operator', PASSWORDS.op, FAST),
    makeUser('view', 'viewer', PASSWORDS.view, FAST),
    makeUser('plan', 'planner', PASSWORDS.plan, FAST),
    makeUser('robo', 'robot', PASSWORDS.robo, { ...FAST, robots: [robots[0]!] }),
    ...(robots[1] ? [makeUser('robob', 'robot', PASSWORDS.robob, { ...FAST, robots: [robots[1]] })] : []),
  ]);
}

export interface Received {
  topic: string;
  payload: Buffer;
  json: any;
  properties: Record<string, any> | undefined;
  retain: boolean;
  at_ms: number;
}

/** An MQTT 5 client that records everything it receives. */
export class Peer {
  readonly inbox: Received[] = [];
  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      let json: unknown = undefined;
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch {}
      this.inbox.push({ topic, payload, json, properties: packet.properties as Record<string, any> | undefined, retain: packet.retain, at_ms: performance.now() });
    });
  }
  static async connect(url: string, username?: string, password?: string, o: IClientOptions = {}): Promise<Peer> {
    return new Peer(await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...(username ? { username, password } : {}), ...o }));
  }
  async sub(filter: string | string[], qos: 0 | 1 = 1) {
    return this.client.subscribeAsync(filter, { qos });
  }
  /** The SUBACK code for one filter: the granted QoS (0-2), or the MQTT 5 reason code (0x87 not authorized...). */
  async subCode(filter: string, qos: 0 | 1 = 1): Promise<number> {
    try {
      return (await this.client.subscribeAsync(filter, { qos }))[0]!.qos;
    } catch (e) {
      const granted = (e as { packet?: { granted?: (number | { qos: number })[] } }).packet?.granted?.[0];
      if (granted === undefined) throw e;
      return typeof granted === 'number' ? granted : granted.qos;
    }
  }
  /** Waits for a message matching; looks at what already arrived first. */
  async next(match: (m: Received) => boolean, timeout_ms = 5000, what = 'a message'): Promise<Received> {
    return waitFor(() => this.inbox.find(match), timeout_ms, what);
  }
  on(topic: string) {
    return this.inbox.filter((m) => m.topic === topic);
  }
  async end() {
    await this.client.endAsync(true).catch(() => {});
  }
}

/** Polls `f` until it returns something truthy; throws naming what was awaited. */
export async function waitFor<T>(f: () => T | undefined | null | false, timeout_ms = 5000, what = 'a condition', every_ms = 10): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const v = f();
    if (v) return v;
    if (performance.now() - t0 > timeout_ms) throw new Error(`timed out after ${timeout_ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every_ms));
  }
}

/** A connect attempt's outcome: the CONNACK reason code, or 0 when accepted. */
export async function connackCode(url: string, o: IClientOptions): Promise<number> {
  try {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...o });
    await c.endAsync(true);
    return 0;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw e;
  }
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = netConnect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** Starts mosquitto with `conf` and waits until `port` accepts connections. */
export async function startMosquitto(conf: string, port: number): Promise<{ proc: ChildProcess; log: () => string; stop(): Promise<void> }> {
  const proc = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    const t0 = performance.now();
    while (!(await portOpen(port))) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited (${proc.exitCode}): ${log}`);
      if (performance.now() - t0 > 5000) throw new Error(`mosquitto did not open port ${port}: ${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return {
    proc,
    log: () => log,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** A throwaway directory removed at teardown. */
export function tempDir(t: { teardown(f: () => void): void }, prefix = 'ganglion-bridge-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A self-signed certificate for 127.0.0.1 / localhost (and the `ips` given) made with openssl (EC P-256: fast to generate). */
export function selfSignedCert(dir: string, ips: string[] = []): { key: string; cert: string } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=localhost', '-addext', `subjectAltName=${['127.0.0.1', ...ips].map((ip) => `IP:${ip}`).join(',')},DNS:localhost`,
  ], { stdio: 'ignore' });
  return { key, cert };
}

/**
 * Sends a command to robot `ref` with a response topic and correlation data, and resolves with its reply (and the
 * message). An object gets a fresh id and the clock, unless `raw` (the test stamped it, or not, itself); a string goes
 * as it is. Throws when the reply does not echo the correlation data.
 */
export async function request(p: Peer, user: string, command: string, payload: unknown, o: { raw?: boolean; timeout_ms?: number } = {}): Promise<{ reply: ReplyPayload; m: Received }> {
  const id = randomUUID();
  const corr = Buffer.from(`corr-${id}`);
  const body = typeof payload === 'string' ? payload : JSON.stringify(o.raw ? payload : stampCommand(payload as object));
  await p.client.publishAsync(`ganglion/ref/cmd/${command}`, body, { qos: 1, properties: { responseTopic: `ganglion/_reply/${user}/${id}`, correlationData: corr } });
  const m = await p.next((x) => x.topic === `ganglion/_reply/${user}/${id}`, o.timeout_ms ?? 8000, `the reply to ${command}`);
  if (!Buffer.from(m.properties?.correlationData ?? []).equals(corr)) throw new Error(`${command}: correlation data not echoed`);
  return { reply: ReplyPayload.parse(m.json), m };
}
