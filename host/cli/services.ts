// What `ganglion run` starts beside the runtime: the MQTT broker (embedded aedes, or an external one), the robot's bridge, and the dashboard.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.ts';
import path from 'node:path';
import { startBridge, type Bridge } from '../bridge/bridge.ts';
import type { RecordingControl } from '../bridge/commands.ts';
import { startEmbeddedBroker, type EmbeddedBroker, type TlsEmbeddedBroker } from '../bridge/broker.ts';
import { pinnedClientTls, readTlsPair } from '../bridge/tls-pair.ts';
import { ROLES, type Role } from '../bridge/topics.ts';
import { loadUsers, makeUser, saveUsers, type UsersFile } from '../bridge/users.ts';
import { startDashboard, type Dashboard } from '../dashboard/server.ts';
import type { RobotControl } from '../runtime/control.ts';

export interface ServicesOptions {
  robotId: string;
  /** External broker URL (mqtt://, mqtts://, ws://, wss://); null starts the embedded one. */
  broker: string | null;
  /** For an external broker: the robot's account there (GANGLION_BROKER_USERNAME / GANGLION_BROKER_PASSWORD). */
  brokerUsername?: string;
  brokerPassword?: string;
  /** PEM CA for mqtts/wss brokers with a private CA (an external broker's, or the one that signed tls.certFile). */
  brokerCa?: string;
  /** The embedded broker's users (created with generated passwords when missing). */
  usersFile: string;
  /** Embedded broker ports (0 = ephemeral). With tls, tcpPort is the 127.0.0.1 plain listener's (allowPlainLocalhost). */
  tcpPort: number;
  wsPort: number;
  /** Embedded broker's listen address (default 127.0.0.1); anything but loopback needs tls. */
  host?: string;
  /** Embedded broker: TLS only (mqtts + wss; the bridge and dashboard use them). PEM files as given on the command line. */
  tls?: { certFile: string; keyFile: string; port: number; allowPlainLocalhost: boolean };
  /** null: no dashboard. */
  dashboardPort: number | null;
  /** External broker only: its WebSocket URL for the dashboard's browser side. */
  brokerWsUrl?: string;
  telemetryHz: number;
  /** The ports are the defaults, not the user's choice: when one is taken, a free one is used instead. */
  portsAreDefaults?: boolean;
  log: (line: string) => void;
  /** A recorder the operator may drive from the dashboard (ganglion record --mqtt). */
  recording?: RecordingControl;
}

export interface Services {
  brokerUrl: string;
  brokerWsUrl: string | null;
  dashboardUrl: string | null;
  bridge: Bridge;
  stop(): Promise<void>;
}

/** The accounts a fresh install gets, one per human-facing role (the runtime's own account lives only in memory). */
const FIRST_USERS: readonly { username: string; role: Role }[] = [
  { username: 'operator', role: 'operator' },
  { username: 'viewer', role: 'viewer' },
  { username: 'planner', role: 'planner' },
];

/**
 * Loads the users file, or creates it with a random password per role, writing the passwords once to a mode-0600
 * credentials file beside it (the users file holds only hashes), as Grafana or Jupyter do on first start.
 * A file that does not load is an error naming it and the fix, never replaced.
 */
export async function ensureUsers(file: string, log: (l: string) => void): Promise<UsersFile> {
  if (existsSync(file)) return loadUsers(file);
  mkdirSync(path.dirname(file), { recursive: true });
  const lines: string[] = [];
  const users = [];
  for (const u of FIRST_USERS) {
    const password = randomBytes(9).toString('base64url');
    users.push(await makeUser(u.username, u.role, password));
    lines.push(`${u.username}\t${u.role}\t${password}`);
  }
  const users_file: UsersFile = { version: 1, users };
  saveUsers(file, users_file);
  const creds = path.join(path.dirname(file), 'credentials.txt');
  // Atomic and fsynced: a crash never leaves half a credentials file, nor passwords the users file does not match.
  writeFileAtomic(creds, `# username\trole\tpassword (generated on first run; change with ganglion broker-config)\n${lines.join('\n')}\n`, { mode: 0o600 });
  log(`broker users created in ${file}; their passwords are in ${creds} (mode 600): ${lines.map((l) => l.split('\t').filter((_, i) => i !== 1).join(' / ')).join(', ')}`);
  return users_file;
}

export async function startServices(robot: RobotControl, o: ServicesOptions): Promise<Services> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    cleanups.length = 0;
  };
  try {
    let brokerUrl: string;
    let brokerWsUrl: string | null;
    let username: string;
    let password: string;
    let clientTls: ReturnType<typeof pinnedClientTls> | null = null;
    let embedded: EmbeddedBroker | TlsEmbeddedBroker | null = null;
    if (o.broker === null) {
      const users = await ensureUsers(o.usersFile, o.log);
      // The runtime's own account exists only in this process's memory: nothing to steal from disk.
      username = `runtime-${o.robotId}`;
      password = randomBytes(18).toString('base64url');
      const pair = o.tls ? readTlsPair(o.tls.certFile, o.tls.keyFile) : null;
      let broker: EmbeddedBroker | TlsEmbeddedBroker;
      const start = (tcp_port: number, ws_port: number, tls_port: number) =>
        startEmbeddedBroker({
          users, tcp_port, ws_port, robot_credentials: [{ username, password, robots: [o.robotId] }], ...(o.host ? { host: o.host } : {}),
          ...(pair ? { tls: { key: pair.key, cert: pair.cert, port: tls_port, allow_plain_localhost: o.tls!.allowPlainLocalhost } } : {}),
        });
      try {
        broker = await start(o.tcpPort, o.wsPort, o.tls?.port ?? 0);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code !== 'EADDRINUSE') throw e;
        // A default port taken (Debian's apt mosquitto listens on 1883 as a service): any free ports will do, the
        // dashboard is told where. Ports the user chose are theirs: then say so instead.
        if (!o.portsAreDefaults) throw new Error(`the embedded broker cannot listen: ${err.message}; another broker running? use --broker mqtt://HOST:PORT, or other ports with --mqtt-port / --ws-port${pair ? ' / --tls-port' : ''}`);
        o.log(`broker: ${err.message} (another broker running?); using free ports instead`);
        broker = await start(0, 0, 0);
      }
      const b = broker;
      embedded = b;
      cleanups.push(() => b.close());
      // With TLS the bridge and the dashboard use mqtts and wss too: the plain 127.0.0.1 listener is for other local clients.
      brokerUrl = broker.url;
      brokerWsUrl = broker.wsUrl;
      if (pair) clientTls = pinnedClientTls(pair, o.brokerCa);
      const plain = broker.tcpUrl ? `; plain MQTT ${broker.tcpUrl} for this machine only (--allow-plain-localhost)` : '';
      const on = o.host && o.host !== '127.0.0.1' ? ` on ${o.host}${o.host === '0.0.0.0' || o.host === '::' ? ' (every interface)' : ''}` : '';
      o.log(`broker: embedded (aedes) at ${broker.url}, WebSocket ${broker.wsUrl}${pair ? `; TLS only${on}${plain}` : ''}; users from ${o.usersFile} (roles ${ROLES.filter((r) => r !== 'robot').join(', ')})`);
    } else {
      if (!o.brokerUsername || !o.brokerPassword) throw new Error(`--broker ${o.broker}: the robot needs an account there: set GANGLION_BROKER_USERNAME and GANGLION_BROKER_PASSWORD (see docs/topics.md, ganglion broker-config)`);
      brokerUrl = o.broker;
      brokerWsUrl = o.brokerWsUrl ?? null;
      username = o.brokerUsername;
      password = o.brokerPassword;
      o.log(`broker: external ${o.broker} as ${username}`);
    }
    const bridge = await startBridge({
      robot, robotId: o.robotId, url: brokerUrl, username, password, telemetry_hz: o.telemetryHz,
      ...(clientTls ?? (o.brokerCa ? { ca: o.brokerCa } : {})),
      ...(o.recording ? { recording: o.recording } : {}),
      ...(embedded ? { broker: embedded } : {}),
      log: (l) => o.log(`[bridge] ${l}`),
    });
    cleanups.push(() => bridge.stop());
    if (clientTls && !bridge.stats().connected) {
      throw new Error(`the bridge cannot reach the embedded broker at ${brokerUrl} over TLS (its error is logged above): if --tls-cert is signed by a private CA, give that CA with --broker-ca FILE`);
    }
    let dashboard: Dashboard | null = null;
    if (o.dashboardPort !== null) {
      if (!brokerWsUrl) {
        o.log('dashboard: not started: the broker has no WebSocket URL (give --broker-ws URL for an external broker)');
      } else {
        try {
          dashboard = await startDashboard({ port: o.dashboardPort, brokerWsUrl });
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          if (err.code !== 'EADDRINUSE') throw e;
          if (!o.portsAreDefaults) throw new Error(`the dashboard cannot listen on port ${o.dashboardPort}: in use; pick another with --dashboard-port N (0 = any free port), or --no-dashboard`);
          o.log(`dashboard: port ${o.dashboardPort} is in use; using a free port instead`);
          dashboard = await startDashboard({ port: 0, brokerWsUrl });
        }
        const d = dashboard;
        cleanups.push(() => d.close());
        o.log(`dashboard: ${dashboard.url} (log in as operator; see docs/dashboard.md)`);
      }
    }
    return { brokerUrl, brokerWsUrl, dashboardUrl: dashboard?.url ?? null, bridge, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
