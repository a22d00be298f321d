// The robot's MQTT bridge (mqtt.js, MQTT 5): publishes status/state/telemetry/cadence/link/events/skills, takes commands, reconnects with backoff.
// Over 300 lines: publishing, command intake and the reconnect loop share one client's lifecycle and statistics; what stands
// alone is in acl.ts, commands.ts, intake-rate.ts and topics.ts.
import type { PeerCertificate } from 'node:tls';
import type { IClientPublishOptions, MqttClient } from 'mqtt';
import type { LoopEventMessage, LoopStatsMessage } from '../executor/commands.ts';
import type { McuState } from '../link/telemetry.ts';
import type { RobotControl, RobotEvents, RobotSnapshot } from '../runtime/control.ts';
import type { CorrectionLogEntry } from '../skills/correction-log.ts';
import type { SkillStatus } from '../skills/status.ts';
import type { EstopListener } from './broker.ts';
import { IntakeRate } from './intake-rate.ts';
import { CommandHandler, type RecordingControl } from './commands.ts';
import { closeRobotClient, connectRobotClient } from './robot-client.ts';
import {
  cadencePayload, eventPayload, linkPayload, loopEventPayload, skillsPayload, skillStatusPayload, statePayload, stateSignature,
  telemetryPayload, type JointRef,
} from './payloads.ts';
import { RobotIdSchema, topics, type EventPayload, type StatusPayload } from './topics.ts';

export interface BridgeOptions {
  robot: RobotControl;
  /** Default: robot.robotId. */
  robotId?: string;
  /** mqtt://, mqtts://, ws:// or wss:// */
  url: string;
  username: string;
  password: string;
  /** [Hz] telemetry per MCU node, decimated from every frame (default 50). */
  telemetry_hz?: number;
  /** PEM CA(s) that signed the broker's certificate (mqtts/wss), for a self-signed or private CA. */
  ca?: string | Buffer | string[];
  /** Checks the broker's certificate in place of its host name (the embedded broker's bridge pins it: tls-pair.ts). */
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
  /** Reconnect backoff: the first retry after min_ms, doubling (with jitter) up to max_ms. */
  reconnect?: { min_ms?: number; max_ms?: number };
  /** Which node carries each joint (default: robot.joints when the robot has them, as RobotRuntime does). */
  joints?: readonly JointRef[];
  /** Shown in the status payload. */
  version?: string;
  /** [s] MQTT keepalive: how soon the broker notices a dead robot and publishes its Last Will (default 5). */
  keepalive_s?: number;
  /** [ms] a command's at_ms must be within this of the robot's clock, either way (default COMMAND_WINDOW_MS, 10 s). */
  command_window_ms?: number;
  /** [1/s] commands read per second from all senders together, bursts of a quarter second's worth (default
   *  MAX_COMMANDS_PER_S, 1000); past it the rest are shed unread, e-stops excepted. */
  max_commands_per_s?: number;
  log?: (line: string) => void;
  /** A recorder the operator may start/stop/discard episodes of (cmd/recording); its state goes out on recording. */
  recording?: RecordingControl;
  /**
   * The embedded broker this bridge talks to, when it is in this process: an authorized e-stop publish then stops the
   * robot as the broker accepts it (the fast path), before routing and this client's socket; the command is still
   * answered as usual when it arrives here.
   */
  broker?: { onEstop(listener: EstopListener): () => void };
}

export interface BridgeStats {
  connected: boolean;
  connects: number;
  published: Record<'status' | 'state' | 'telemetry' | 'cadence' | 'link' | 'events' | 'skill_status' | 'skills' | 'replies' | 'recording', number>;
  commands: number;
  command_errors: number;
  /**
   * QoS 1 messages that are not retained (events, skill status, command replies) are kept while offline, up to
   * OFFLINE_QOS1, and sent in order on reconnect; this counts the oldest dropped over that bound.
   */
  events_dropped: number;
  /** [ms] main-thread time spent in the bridge's own handlers (building payloads, mqtt.js publish calls). */
  busy_ms: number;
  /** Commands shed unread over max_commands_per_s (never an e-stop). */
  commands_shed: number;
}

export interface Bridge {
  readonly robotId: string;
  stats(): BridgeStats;
  /** Publishes online:false (retained) and disconnects. */
  stop(): Promise<void>;
}

const VERSION = '0.1.0';
const OFFLINE_QOS1 = 200;
/** [ms] a teleop command this recent means an operator was driving when the link went. */
const TELEOP_RECENT_MS = 1000;

export async function startBridge(o: BridgeOptions): Promise<Bridge> {
  const robot = o.robot;
  const robotId = RobotIdSchema.parse(o.robotId ?? robot.robotId);
  if (robotId === '_reply') throw new Error('robot id "_reply" is reserved for reply topics');
  const t = topics(robotId);
  const log = o.log ?? (() => {});
  const joints: readonly JointRef[] = o.joints ?? ((robot as unknown as { joints?: JointRef[] }).joints ?? []).map((j) => ({ name: j.name, node: j.node, ...(j.kind ? { kind: j.kind } : {}) }));
  const telemetryPeriod_ms = 1000 / (o.telemetry_hz ?? 50);
  const backoff = { min: o.reconnect?.min_ms ?? 200, max: o.reconnect?.max_ms ?? 5000 };
  const connectedAt = Date.now();
  const st: BridgeStats = {
    connected: false, connects: 0, commands: 0, command_errors: 0, events_dropped: 0, busy_ms: 0, commands_shed: 0,
    published: { status: 0, state: 0, telemetry: 0, cadence: 0, link: 0, events: 0, skill_status: 0, skills: 0, replies: 0, recording: 0 },
  };
  const status = (online: boolean): StatusPayload => ({ online, robot: robotId, at_ms: online ? Date.now() : connectedAt, version: o.version ?? VERSION });

  const client: MqttClient = connectRobotClient({
    url: o.url, robotId, username: o.username, password: o.password, statusTopic: t.status, willPayload: status(false),
    ...(o.keepalive_s !== undefined ? { keepalive_s: o.keepalive_s } : {}), ...(o.ca ? { ca: o.ca } : {}),
    ...(o.checkServerIdentity ? { checkServerIdentity: o.checkServerIdentity } : {}),
  });
  let stopping = false;
  let attempts = 0;
  let retryTimer: NodeJS.Timeout | null = null;
  /** What had to go out with QoS 1 while the broker was away (retained topics are republished whole instead). */
  const pending: { kind: keyof BridgeStats['published']; topic: string; payload: unknown; properties?: IClientPublishOptions['properties'] }[] = [];
  const keep = (m: (typeof pending)[number]) => {
    pending.push(m);
    if (pending.length > OFFLINE_QOS1) {
      pending.shift();
      st.events_dropped++;
    }
  };

  const timed = <A extends unknown[]>(f: (...a: A) => void) => (...a: A) => {
    const t0 = performance.now();
    try {
      f(...a);
    } catch (e) {
      log(`bridge: ${(e as Error).message}`);
    } finally {
      st.busy_ms += performance.now() - t0;
    }
  };

  const publish = (kind: keyof BridgeStats['published'], topic: string, payload: unknown, qos: 0 | 1, retain = false, properties?: IClientPublishOptions['properties']) => {
    if (!client.connected) {
      if (qos === 1 && !retain) keep({ kind, topic, payload, ...(properties ? { properties } : {}) });
      return false;
    }
    client.publish(topic, JSON.stringify(payload), { qos, retain, ...(properties ? { properties } : {}) });
    st.published[kind]++;
    return true;
  };

  const event = (e: { level: EventPayload['level']; kind: string; text: string; topic?: string }) => sendEvent(eventPayload(robotId, e));
  const sendEvent = (p: EventPayload) => {
    publish('events', t.events, p, 1);
  };

  const commands = new CommandHandler(robot, `${t.base}/cmd/`, {
    reply: (topic, payload, correlationData) => publish('replies', topic, payload, 1, false, correlationData ? { correlationData } : undefined),
    event,
  }, o.recording ?? null, {
    ...(o.command_window_ms !== undefined ? { window_ms: o.command_window_ms } : {}),
    known: { joints: () => joints.map((j) => j.name), skills: () => robot.skills() },
  });

  // ------------------------------------------------------------------ state, skills
  let snapCache: { at: number; snap: RobotSnapshot } | null = null;
  const snapshot = () => {
    const now = performance.now();
    // Telemetry of several nodes arrives within a millisecond or two: one snapshot serves them all.
    if (!snapCache || now - snapCache.at > 5) snapCache = { at: now, snap: robot.snapshot() };
    return snapCache.snap;
  };
  let lastSig = '';
  const publishState = () => {
    snapCache = null;
    const s = snapshot();
    lastSig = stateSignature(s);
    publish('state', t.state, statePayload(s), 1, true);
  };
  let lastSkills = '';
  const publishSkills = (force: boolean) => {
    const p = skillsPayload(robotId, robot.skills());
    const key = JSON.stringify(p.skills);
    if (!force && key === lastSkills) return;
    if (publish('skills', t.skills, p, 1, true)) lastSkills = key;
  };

  // ------------------------------------------------------------------ robot events
  const lastTelemetry = new Map<string, { at: number; frames: number }>();
  const onTelemetry = (node: string, s: McuState) => {
    const now = performance.now();
    const l = lastTelemetry.get(node) ?? { at: -Infinity, frames: 0 };
    l.frames++;
    lastTelemetry.set(node, l);
    if (now - l.at < telemetryPeriod_ms || !client.connected) return;
    timed(() => {
      publish('telemetry', t.telemetry(node), telemetryPayload(robotId, node, s, joints, snapshot(), l.frames), 0);
      l.at = now;
      l.frames = 0;
    })();
  };
  const onLoopStats = timed((m: LoopStatsMessage) => publish('cadence', t.cadence, cadencePayload(robotId, m), 0));
  const onLoopEvent = timed((m: LoopEventMessage) => {
    sendEvent(loopEventPayload(robotId, m));
    publishState();
  });
  const onNotice = timed((n: RobotEvents['notice'][0]) => event({ level: n.level, kind: n.source === 'bridge' ? 'bridge' : 'notice', text: `${n.source}: ${n.text}` }));
  const onCorrection = timed((c: CorrectionLogEntry) =>
    event({ level: 'info', kind: 'correction', text: `"${c.phrase}"${c.skill ? ` during ${c.skill}` : ''} -> ${JSON.stringify(c.correction)}` }));
  const onSkillStatus = timed((s: SkillStatus) => {
    publish('skill_status', t.skillStatus, skillStatusPayload(robotId, s), 1);
    if (s.state !== 'running') {
      publishState();
      publishSkills(false);
    }
  });
  // One table for subscribing and unsubscribing, so stop() cannot miss one.
  const listeners = [
    ['telemetry', onTelemetry], ['loop_stats', onLoopStats], ['loop_event', onLoopEvent],
    ['notice', onNotice], ['correction', onCorrection], ['skill_status', onSkillStatus],
  ] as const;
  const robotEvents = robot as unknown as { on(e: string, f: unknown): void; off(e: string, f: unknown): void };
  for (const [e, f] of listeners) robotEvents.on(e, f);

  // State on change (polled at 10 Hz, cheap signature) and every second; link health and the skill list every second.
  let ticks = 0;
  const timer = setInterval(timed(() => {
    if (!client.connected) return;
    ticks++;
    snapCache = null;
    const s = snapshot();
    if (ticks % 10 === 0 || stateSignature(s) !== lastSig) publishState();
    if (ticks % 10 === 0) {
      publishRecording();
      publish('link', t.link, linkPayload(robotId, robot.linkHealth()), 0);
      publishSkills(false);
    }
  }), 100);

  const publishRecording = () => {
    if (o.recording && client.connected) publish('recording', t.recording, { robot: robotId, at_ms: Date.now(), ...o.recording.status() }, 1, true);
  };
  const offRecording = o.recording?.onChange(timed(publishRecording)) ?? (() => {});
  // Fails safe as the command does (commands.ts): any authorized publish to cmd/estop stops, whatever its payload.
  const offFastEstop = o.broker?.onEstop((target, who) => {
    if (target === robotId) robot.estop(`e-stop from ${who}`).catch((e: Error) => log(`bridge: fast-path e-stop failed: ${e.message}`));
  }) ?? (() => {});

  // ------------------------------------------------------------------ connection
  const intake = new IntakeRate(o.max_commands_per_s);
  const estopTopic = `${t.base}/cmd/estop`;
  let shedReported_ms = -Infinity;
  client.on('message', (topic, payload, packet) => {
    const t0 = performance.now();
    // An empty payload on a command topic is a retained command being deleted (by us, below): nothing to answer.
    if (payload.length === 0 && !packet.properties?.responseTopic) return;
    st.commands++;
    // Bounded intake: past the rate a command is dropped before any parsing, so a flood cannot starve the MCU links
    // on this thread. An e-stop always passes (stopping is always safe); the shedding is reported at most once a second.
    if (topic !== estopTopic && !intake.take(t0)) {
      if (st.commands_shed++ === 0 || t0 - shedReported_ms > 1000) {
        shedReported_ms = t0;
        event({ level: 'warn', kind: 'command_error', text: `over ${intake.rate_per_s} commands/s: ${st.commands_shed} shed unread so far (an e-stop always passes)` });
      }
      st.busy_ms += performance.now() - t0;
      return;
    }
    commands.onMessage({ topic, payload, retain: packet.retain, responseTopic: packet.properties?.responseTopic, correlationData: packet.properties?.correlationData });
    // mosquitto cannot refuse a retained publish per topic without a plugin: the robot deletes any retained command it
    // is handed (an empty retained message), so no later subscriber gets it either. The embedded broker never stores one.
    if (packet.retain && payload.length > 0) client.publish(topic, '', { qos: 1, retain: true });
    st.command_errors = commands.refused;
    st.busy_ms += performance.now() - t0;
  });
  client.on('connect', () => {
    attempts = 0;
    st.connects++;
    st.connected = true;
    log(`bridge: connected to ${o.url} as ${o.username} (robot ${robotId})`);
    // No-local: the empty retained publishes that delete a retained command do not come back to us. Retain as
    // published: a broker that stores retained commands (mosquitto) otherwise clears the flag on live delivery, and a
    // retained clear published while we listen would run now and stay stored for the next (re)subscribe.
    client.subscribe(t.cmdAll, { qos: 1, nl: true, rap: true }, (err, granted) => {
      const refused = granted?.find((g) => g.qos > 2);
      if (err || refused) event({ level: 'error', kind: 'bridge', text: `cannot subscribe to ${t.cmdAll}: ${err?.message ?? `reason 0x${refused!.qos.toString(16)}`}` });
    });
    publish('status', t.status, status(true), 1, true);
    publishState();
    publishSkills(true);
    publishRecording();
    for (const m of pending.splice(0)) publish(m.kind, m.topic, m.payload, 1, false, m.properties);
    if (st.connects > 1) event({ level: 'info', kind: 'bridge', text: `reconnected to the broker (connection ${st.connects})` });
  });
  client.on('error', (e) => log(`bridge: ${e.message}`));
  client.on('close', () => {
    const was = st.connected;
    st.connected = false;
    if (was && !stopping) {
      log('bridge: connection to the broker lost');
      // The envelope's teleop heartbeat stops the motion within 250 ms anyway; releasing makes the robot hold at once
      // and drops teleop mode, so nothing resumes from a stale command when the link returns.
      if (performance.now() - commands.lastTeleop_ms < TELEOP_RECENT_MS) {
        robot.releaseTeleop().catch(() => {});
        keep({ kind: 'events', topic: t.events, payload: eventPayload(robotId, { level: 'warn', kind: 'bridge', text: 'broker connection lost during teleop: teleop released, the robot holds' }) });
      }
    }
    if (stopping || retryTimer) return;
    const delay = Math.min(backoff.max, backoff.min * 2 ** attempts) * (0.75 + 0.25 * Math.random());
    attempts++;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (!stopping) client.reconnect();
    }, delay);
  });

  await new Promise<void>((resolve, reject) => {
    const to = setTimeout(() => resolve(), 5000); // keeps retrying in the background; callers can watch stats().connected
    client.once('connect', () => {
      clearTimeout(to);
      resolve();
    });
    client.once('error', (e) => {
      // A refused login will not get better by retrying: tell the caller now.
      if ((e as { code?: number }).code === 135 || (e as { code?: number }).code === 134) {
        clearTimeout(to);
        stopping = true;
        clearInterval(timer);
        client.end(true);
        reject(new Error(`bridge: the broker refused ${o.username}: ${e.message}`));
      }
    });
  });

  return {
    robotId,
    stats: () => ({ ...st, published: { ...st.published } }),
    async stop() {
      stopping = true;
      clearInterval(timer);
      if (retryTimer) clearTimeout(retryTimer);
      for (const [e, f] of listeners) robotEvents.off(e, f);
      offRecording();
      offFastEstop();
      await closeRobotClient(client, t.status, status(false));
    },
  };
}
