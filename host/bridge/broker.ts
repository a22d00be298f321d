// The embedded broker: aedes behind the MQTT 5 front, with username/password auth, the role ACL, and its listeners on 127.0.0.1 (or the host given; TLS only off loopback): plain TCP + WebSocket, or with TLS mqtts + wss only.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { commandOf, maySubscribe, memoMayPublish, memoMayReceive, type Identity } from './acl.ts';
import { authorizeClientId, namespacedClientId, ROBOT_CLIENT_PREFIX } from './client-ids.ts';
import { randomBytes } from 'node:crypto';
import { dialHost, listenHostError, plainHostError } from './listen-host.ts';
import { mqtt5Front } from './mqtt5-front.ts';
import { RobotIdSchema } from './topics.ts';
import { verifyUser, type User, type UsersFile } from './users.ts';

/** An account that exists only in memory: how `ganglion run` lets its own bridge into the broker it started. */
export interface RobotCredential {
  username: string;
  password: string;
  robots: readonly string[];
}

/** TLS means TLS only: with it, the broker serves mqtts and wss, and plain MQTT only on 127.0.0.1 when asked. */
export interface BrokerTls {
  /** PEM private key and certificate (chain). */
  key: string | Buffer;
  cert: string | Buffer;
  /** The mqtts port; 0 (the default): an ephemeral one. */
  port?: number;
  /** Also a plain MQTT listener at tcp_port on 127.0.0.1 only, for clients on this machine (as mosquitto's
   *  `broker-config --allow-plain-localhost`). Default false: a plain listener would carry the passwords in clear. */
  allow_plain_localhost?: boolean;
}

export interface EmbeddedBrokerOptions {
  /** Interface for every listener (default 127.0.0.1: nothing is exposed unless asked). Anything but loopback
   *  needs tls: plain MQTT there would carry the passwords in clear text (listen-host.ts). */
  host?: string;
  /** Plain MQTT; 0: an ephemeral port. Pass the previous port to come back on the same one. With tls: the port of
   *  the 127.0.0.1 listener that tls.allow_plain_localhost asks for, else unused. */
  tcp_port?: number;
  /** WebSocket listener for the browser dashboard (path-agnostic; wss with tls); null: none. Default 0 (ephemeral). */
  ws_port?: number | null;
  users: readonly User[] | UsersFile;
  robot_credentials?: readonly RobotCredential[];
  tls?: BrokerTls;
  /** [1/s] publishes per client, sustained (bursts of twice that); past it the client is throttled. Default 1000. */
  max_publish_per_s?: number;
  /** [bytes] largest packet a client may send; bigger ones close its connection. */
  max_packet_bytes?: number;
  log?: (line: string) => void;
}

interface BrokerBase {
  /** Plain MQTT (mqtt://): always without TLS; with TLS only on 127.0.0.1 when allow_plain_localhost asked for it. */
  tcpUrl: string | null;
  /** ws://, or wss:// with TLS; null when ws_port was null. */
  wsUrl: string | null;
  mqttsUrl: string | null;
  /** The URL for an MQTT client (the bridge): mqtts:// with TLS, else mqtt://. */
  url: string;
  /** The ports actually bound (to restart on the same ones). */
  ports: { tcp: number | null; ws: number | null; tls: number | null };
  aedes: Aedes;
  /** Publishes refused by the ACL so far. */
  refused(): number;
  /** Logins refused for their client id (someone else's, or a robot id already connected). */
  refusedLogins(): number;
  /** Times a client was paused for publishing over max_publish_per_s. */
  throttles(): number;
  /**
   * Calls `listener` at once for every authorized publish to `ganglion/<robot>/cmd/estop`, before the broker routes
   * it: an e-stop need not wait for routing, the subscriber's socket and its parse (the bridge's fast path). The
   * message is still delivered as usual. Returns the unsubscribe.
   */
  onEstop(listener: EstopListener): () => void;
  close(): Promise<void>;
}

/** The robot an e-stop publish names and the account that published it. */
export type EstopListener = (robot: string, username: string) => void;

/** Without TLS: every listener is plain (mqtt://, ws://). */
export interface EmbeddedBroker extends BrokerBase {
  tcpUrl: string;
  ports: { tcp: number; ws: number | null; tls: null };
}

/** With TLS: mqtts:// and wss://; plain MQTT only on 127.0.0.1, and only when allow_plain_localhost asked for it. */
export interface TlsEmbeddedBroker extends BrokerBase {
  mqttsUrl: string;
  ports: { tcp: number | null; ws: number | null; tls: number };
}

const DEFAULT_MAX_PACKET_BYTES = 256 * 1024;
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function startEmbeddedBroker(o: EmbeddedBrokerOptions & { tls?: undefined }): Promise<EmbeddedBroker>;
export function startEmbeddedBroker(o: EmbeddedBrokerOptions & { tls: BrokerTls }): Promise<TlsEmbeddedBroker>;
export function startEmbeddedBroker(o: EmbeddedBrokerOptions): Promise<EmbeddedBroker | TlsEmbeddedBroker>;
export async function startEmbeddedBroker(o: EmbeddedBrokerOptions): Promise<EmbeddedBroker | TlsEmbeddedBroker> {
  const host = o.host ?? '127.0.0.1';
  const badHost = listenHostError(host) ?? (o.tls ? null : plainHostError(host));
  if (badHost) throw new Error(`embedded broker: ${badHost}`);
  const users: readonly User[] = Array.isArray(o.users) ? o.users : (o.users as UsersFile).users;
  const robotCreds = new Map((o.robot_credentials ?? []).map((c) => {
    for (const r of c.robots) RobotIdSchema.parse(r);
    return [c.username, { digest: digest(c.password), identity: { username: c.username, role: 'robot', robots: [...c.robots] } as Identity }];
  }));
  const identities = new Map<string, Identity>(users.map((u) => [u.username, { username: u.username, role: u.role, robots: u.robots ?? null }]));
  for (const [name, c] of robotCreds) identities.set(name, c.identity);
  const byClient = new WeakMap<Client, Identity>();
  const receives = memoMayReceive();
  const publishes = memoMayPublish();
  let refused = 0;
  let refusedLogins = 0;
  let throttles = 0;
  const log = o.log ?? (() => {});

  const notAuthorized = () => Object.assign(new Error('not authorized'), { returnCode: 5 as const });
  const isUser = (u: string) => identities.has(u);
  /** Robot ids whose login passed the checks but is not registered yet: two logins at once cannot both take the id. */
  const claiming = new Map<string, number>();
  const CLAIM_MS = 5000;
  /** After the password: the client id must be the account's own (client-ids.ts); a refusal is logged and answered "identifier rejected". */
  const admit = (client: Client, id: Identity, done: (e: never, ok: boolean) => void) => {
    const live = (cid: string) => {
      const c = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[cid];
      const claim = claiming.get(cid);
      return (!!c && !c.closed) || (claim !== undefined && performance.now() - claim < CLAIM_MS);
    };
    const why = authorizeClientId(id, client.id, isUser, live);
    if (why) {
      refusedLogins++;
      log(`broker: refused login of ${id.username}: ${why}`);
      return done(Object.assign(new Error(why), { returnCode: 2 as const }) as never, false);
    }
    if (client.id.startsWith(ROBOT_CLIENT_PREFIX)) claiming.set(client.id, performance.now());
    byClient.set(client, id);
    done(null as never, true);
  };
  const estopListeners = new Set<EstopListener>();
  const aedes = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      if (!username || !password) return done(notAuthorized() as never, false);
      const rc = robotCreds.get(username);
      if (rc) {
        const ok = timingSafeEqual(digest(password.toString('utf8')), rc.digest);
        return ok ? admit(client, rc.identity, done) : done(notAuthorized() as never, false);
      }
      verifyUser(users, username, password.toString('utf8')).then(
        (u) => {
          if (!u) {
            log(`broker: refused login for "${username}"`);
            return done(notAuthorized() as never, false);
          }
          admit(client, identities.get(u.username)!, done);
        },
        () => done(notAuthorized() as never, false),
      );
    },
    // The front already refused what the ACL forbids (with an MQTT 5 reason code); this is the backstop.
    authorizePublish(client, packet, cb) {
      const id = client ? byClient.get(client) : undefined;
      if (client && (!id || !publishes(id, packet.topic))) return cb(new Error(`not authorized to publish to ${packet.topic}`));
      const command = commandOf(packet.topic);
      if (packet.retain && command) return cb(new Error(`commands are never retained (${packet.topic})`));
      if (command?.command === 'estop' && id) for (const l of estopListeners) l(command.robot, id.username);
      cb(null);
    },
    authorizeSubscribe(client, sub, cb) {
      const id = byClient.get(client);
      if (!id || !maySubscribe(id, sub.topic)) {
        log(`broker: refused subscription of ${id?.username ?? '?'} to ${sub.topic}`);
        return cb(null, null);
      }
      cb(null, sub);
    },
    // Per message: a wildcard subscription must not carry someone else's replies or a robot the user may not see.
    authorizeForward(client, packet) {
      const id = byClient.get(client);
      return id && receives(id, packet.topic) ? packet : null;
    },
  });

  aedes.on('client', (c) => claiming.delete(c.id));

  const sockets = new Set<Duplex>();
  const front = (socket: Duplex) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const inner = mqtt5Front(socket, {
      max_packet_bytes: o.max_packet_bytes ?? DEFAULT_MAX_PACKET_BYTES,
      identify: (u) => (u === null ? null : identities.get(u) ?? null),
      ...(o.max_publish_per_s !== undefined ? { max_publish_per_s: o.max_publish_per_s } : {}),
      onThrottled: (who) => {
        throttles++;
        if (throttles === 1 || throttles % 100 === 0) log(`broker: ${who ?? '?'} throttled (over ${o.max_publish_per_s ?? 1000} publishes/s; ${throttles} throttles so far)`);
      },
      clientId: (u, cid) => namespacedClientId(u, cid, isUser, () => randomBytes(6).toString('hex')),
      onRefused: (who, topic, why) => {
        refused++;
        // Bounded: a flood of refused publishes must not become a flood of log lines.
        if (refused <= 20 || refused % 1000 === 0) log(`broker: ${who ?? '?'}: ${why}${refused > 20 ? ` (${refused} refused so far)` : ''}`);
      },
    });
    aedes.handle(inner);
  };

  const listen = (server: Server, port: number, addr = host) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, addr, () => resolve((server.address() as AddressInfo).port));
    });

  const servers: Server[] = [];
  const httpServers: ReturnType<typeof createHttpServer>[] = [];
  // A listener that fails (port in use) must not leave the others bound: the caller may retry on other ports.
  const abandon = async (e: unknown): Promise<never> => {
    for (const srv of servers) if (srv.listening) await new Promise<void>((r) => srv.close(() => r()));
    await new Promise<void>((r) => aedes.close(() => r()));
    throw e;
  };
  const tls = o.tls ? { key: o.tls.key, cert: o.tls.cert, minVersion: 'TLSv1.2' as const } : null;
  let tlsRefusals = 0;
  const tlsRefused = (e: Error, s: { remoteAddress?: string | undefined }) => {
    // Bounded: a client hammering the TLS port with plain MQTT must not flood the log.
    if (++tlsRefusals <= 20 || tlsRefusals % 1000 === 0) log(`broker: TLS handshake from ${s.remoteAddress ?? '?'} refused: ${e.message} (${tlsRefusals} so far)`);
  };

  // Plain MQTT: the listener without TLS; with TLS only the 127.0.0.1 one asked for, so no password crosses a network in clear.
  let tcpPort: number | null = null;
  const plainAddr = !tls ? host : o.tls?.allow_plain_localhost ? '127.0.0.1' : null;
  if (plainAddr !== null) {
    const tcp = createNetServer((s: Socket) => {
      s.setNoDelay(true);
      front(s);
    });
    servers.push(tcp);
    tcpPort = await listen(tcp, o.tcp_port ?? 0, plainAddr).catch(abandon);
  }

  let wsPort: number | null = null;
  if (o.ws_port !== null) {
    const upgradeOnly = (_req: IncomingMessage, res: ServerResponse) =>
      res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
    const http = tls ? createHttpsServer(tls, upgradeOnly) : createHttpServer(upgradeOnly);
    if (tls) http.on('tlsClientError', tlsRefused);
    const wss = new WebSocketServer({ server: http, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false) });
    wss.on('connection', (ws) => front(createWebSocketStream(ws)));
    wss.on('error', () => {});
    servers.push(http as unknown as Server);
    httpServers.push(http);
    wsPort = await listen(http as unknown as Server, o.ws_port ?? 0).catch(abandon);
  }

  let tlsPort: number | null = null;
  if (tls) {
    const server = createTlsServer(tls, (s) => {
      s.setNoDelay(true);
      front(s);
    });
    server.on('tlsClientError', tlsRefused);
    servers.push(server);
    tlsPort = await listen(server, o.tls!.port ?? 0).catch(abandon);
  }

  // The URLs are for clients on this machine (the bridge, the dashboard's config): a wildcard bind is dialled on loopback.
  const at = (addr: string, port: number, a = dialHost(addr)) => `${a.includes(':') ? `[${a}]` : a}:${port}`;
  const tcpUrl = tcpPort === null ? null : `mqtt://${at(plainAddr!, tcpPort)}`;
  const mqttsUrl = tlsPort === null ? null : `mqtts://${at(host, tlsPort)}`;
  return {
    tcpUrl,
    wsUrl: wsPort === null ? null : `${tls ? 'wss' : 'ws'}://${at(host, wsPort)}`,
    mqttsUrl,
    url: (mqttsUrl ?? tcpUrl)!,
    ports: { tcp: tcpPort, ws: wsPort, tls: tlsPort },
    aedes,
    refused: () => refused,
    refusedLogins: () => refusedLogins,
    throttles: () => throttles,
    onEstop(l: EstopListener) {
      estopListeners.add(l);
      return () => estopListeners.delete(l);
    },
    async close() {
      const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      for (const s of sockets) s.destroy();
      for (const h of httpServers) h.closeAllConnections();
      await new Promise<void>((r) => aedes.close(() => r()));
      await Promise.all(closed);
    },
  } as EmbeddedBroker | TlsEmbeddedBroker;
}
