// The page's MQTT-over-WebSocket connection: log in as a broker user, subscribe, validate what arrives, send commands and match their replies.
import mqtt, { type MqttClient } from 'mqtt';
import { CommandPayloads, replyTopic, ROLES, stampCommand, topics, TOPIC_ROOT, type CommandName, type ReplyPayload, type Role } from '../../bridge/topics.ts';
import { parseIncoming, type Incoming } from './messages.ts';
import { zodIssue } from '../../util/zod-issue.ts';

export interface ConnectionHandlers {
  message(msg: Incoming, arrivedWallMs: number): void;
  /** A payload that failed its schema (or was not JSON): shown in the event log, never acted on. */
  bad(topic: string, error: string): void;
  /** Connection state changes after login: lost, reconnecting, back. */
  link(state: 'online' | 'offline' | 'reconnecting', detail?: string): void;
  /** The broker named this login's role in a refusal (when the CONNACK did not): the page gates its controls from then on. */
  role(role: Role): void;
}

/** A broker refusal as the page shows it. */
export interface Refusal { text: string; role: Role | null }

/** The embedded broker's refusal reason reads "not authorized: role viewer may not publish to ...": the role is in it. */
export function roleInRefusal(reason: string): Role | null {
  const m = /\brole (\w+)/.exec(reason);
  return ROLES.find((r) => r === m?.[1]) ?? null;
}

/** How long a command waits for its reply before the page says so (the action command replies only when its skill ends). */
const REPLY_TIMEOUT_MS = 5000;

/** What the broker's CONNACK refusal means for the person at the login form. */
function refusalText(e: Error & { code?: number | string }, url: string): string {
  // No CONNACK code: the connection itself failed (nothing listening, WebSocket refused, TLS).
  if (typeof e.code !== 'number') return `cannot reach the broker at ${url}${e.message ? ` (${e.message})` : ''}`;
  switch (e.code) {
    case 4: case 134: return 'the broker refused the login: bad username or password';
    case 5: case 135: return 'the broker refused the login: not authorized';
    case 1: case 132: return 'the broker refused the connection: unsupported MQTT protocol version';
    default: return `the broker refused the connection: ${e.message}`;
  }
}

export class Connection {
  private readonly pending = new Map<string, { resolve: (r: ReplyPayload) => void; timer: ReturnType<typeof setTimeout> }>();
  private commandSeq = 0;
  private readonly session = Math.random().toString(36).slice(2, 8);

  private constructor(
    private readonly client: MqttClient,
    readonly username: string,
    /** The role the broker says this login has (null until it says: the broker's ACL still decides). */
    public role: Role | null,
    private readonly handlers: ConnectionHandlers,
  ) {
    client.on('message', (topic, payload) => {
      // Stamped first thing: this is the browser arrival time the telemetry latency figure uses.
      const arrived = performance.timeOrigin + performance.now();
      const r = parseIncoming(topic, payload);
      if (r.ok === 'ignored') return;
      if (r.ok === false) return handlers.bad(r.topic, r.error);
      if (r.msg.kind === 'reply') {
        const p = this.pending.get(r.msg.id);
        if (p) {
          clearTimeout(p.timer);
          this.pending.delete(r.msg.id);
          p.resolve(r.msg.payload);
        }
      }
      handlers.message(r.msg, arrived);
    });
    client.on('offline', () => handlers.link('offline'));
    client.on('reconnect', () => handlers.link('reconnecting'));
    client.on('connect', () => handlers.link('online'));
    client.on('error', (e) => handlers.link('offline', e.message));
  }

  /** Connects as `username`; rejects with the broker's refusal in words (bad password, not authorized, unreachable). */
  static login(url: string, username: string, password: string, handlers: ConnectionHandlers): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const client = mqtt.connect(url, {
        username, password,
        clientId: `dashboard-${username}-${Math.random().toString(36).slice(2, 10)}`,
        protocolVersion: 5,
        clean: true,
        connectTimeout: 5000,
        // Only after a successful login: a refused login must not retry with the same bad password.
        reconnectPeriod: 0,
        keepalive: 10,
      });
      // Only this login's own listeners are removed: mqtt.js keeps its reconnect logic in listeners on the client too.
      const onError = (e: Error) => fail(refusalText(e as Error & { code?: number }, url));
      const onClose = () => fail(`cannot reach the broker at ${url}`);
      const settle = () => {
        client.off('error', onError);
        client.off('close', onClose);
      };
      const fail = (text: string) => {
        settle();
        client.end(true);
        reject(new Error(text));
      };
      client.once('connect', (connack) => {
        settle();
        client.options.reconnectPeriod = 2000;
        const said = connack.properties?.userProperties?.role;
        const role = ROLES.find((r) => r === said) ?? null;
        const c = new Connection(client, username, role, handlers);
        client.subscribe([`${TOPIC_ROOT}/+/status`, replyTopic(username, '+')], { qos: 1 }, (err) => (err ? fail(`subscribe failed: ${err.message}`) : resolve(c)));
      });
      client.once('error', onError);
      client.once('close', onClose);
    });
  }

  /** Follow one robot's topics (and stop following the previous one). */
  follow(robot: string | null, previous: string | null): void {
    const list = (r: string) => {
      const t = topics(r);
      return [t.state, t.telemetryAll, t.cadence, t.link, t.events, t.skillStatus, t.skills, t.recording];
    };
    if (previous) this.client.unsubscribe(list(previous));
    if (robot) this.client.subscribe(list(robot), { qos: 1 });
  }

  /**
   * Publishes a command (QoS 1) with a response topic and correlation data, and resolves with the reply. The payload is
   * checked against the command's schema first, so a malformed command never leaves the page.
   */
  command<C extends CommandName>(robot: string, name: C, body: object): Promise<ReplyPayload> {
    // A new id and the clock on every command: the bridge refuses a repeated id (replay) and a stale timestamp.
    const payload = stampCommand(body);
    const check = CommandPayloads[name].safeParse(payload);
    if (!check.success) {
      return Promise.resolve({ ok: false, command: name, error: `${name}: ${zodIssue(check.error)}` });
    }
    const id = `${this.session}-${++this.commandSeq}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, command: name, error: `no reply from ${robot} within ${REPLY_TIMEOUT_MS / 1000} s` });
      }, name === 'action' ? 10 * 60_000 : REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      this.client.publish(topics(robot).cmd(name), JSON.stringify(payload), {
        qos: 1,
        properties: { responseTopic: replyTopic(this.username, id), correlationData: new TextEncoder().encode(id) as Buffer },
      }, (err, packet) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        resolve({ ok: false, command: name, error: this.refused(err, packet).text });
      });
    });
  }

  /**
   * A command without a response topic, so without a reply (teleop heartbeats at 20 Hz: a reply each would only add
   * traffic). `settled` hears when the broker took it (null) or refused it.
   */
  send(robot: string, name: CommandName, body: object, settled?: (refusal: Refusal | null) => void): void {
    this.client.publish(topics(robot).cmd(name), JSON.stringify(stampCommand(body)), { qos: 1 }, (err, packet) => {
      settled?.(err ? this.refused(err, packet) : null);
    });
  }

  /** An MQTT 5 negative PUBACK: its reason string says why (and, from the embedded broker, the role). */
  private refused(err: Error, packet: unknown): Refusal {
    const reason = (packet as { properties?: { reasonString?: string } } | undefined)?.properties?.reasonString ?? err.message;
    const role = roleInRefusal(reason);
    if (role && role !== this.role) {
      this.role = role;
      this.handlers.role(role);
    }
    return { text: `${role ? `${role} role cannot command: ` : ''}the broker refused the publish (${reason})`, role };
  }

  close(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.client.end(true);
  }
}
