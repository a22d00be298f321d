// Who may publish, subscribe to and receive which topic, derived from ROLE_COMMANDS: one rule set for the embedded broker and the mosquitto ACL file.
import { REPLY_PREFIX, ROLE_COMMANDS, TOPIC_ROOT, type Role } from './topics.ts';

export interface Identity {
  username: string;
  role: Role;
  /** Robot ids this identity may act on / speak for; null: every robot. */
  robots: readonly string[] | null;
}

/** The topics a robot publishes (relative to ganglion/<robot>/). `+` is one level. */
export const ROBOT_OUT_TOPICS = ['status', 'state', 'telemetry/+', 'cadence', 'link', 'events', 'skill/status', 'skills', 'recording'] as const;
/** The MCU-link tunnel (host/link/mqtt-tunnel.ts) lives in the robot's tree too; only robot accounts use it. */
export const ROBOT_TUNNEL = 'tunnel/#';
/** What every role may read in a robot's tree it may see: its outputs and the commands sent to it. */
export const READABLE_TOPICS = [...ROBOT_OUT_TOPICS, 'cmd/+'] as const;
/**
 * Usernames that equal a level of the robot tree: mosquitto's ACL grants reads as `ganglion/+/<level>/...`, and
 * with the robot level being '_reply' those would match ganglion/_reply/<username>/..., someone's reply topic.
 */
export const RESERVED_USERNAMES = ['status', 'state', 'telemetry', 'cadence', 'link', 'events', 'skill', 'skills', 'recording', 'cmd', 'tunnel'] as const;
const REPLY_LEVEL = REPLY_PREFIX.split('/')[1]!; // "_reply"

/** Standard MQTT filter matching (`+` one level, `#` the rest, including the parent level). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i < t.length || (i === t.length && i > 0);
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

const may = (id: Identity, robot: string) => robot !== REPLY_LEVEL && (id.robots === null || id.robots.includes(robot));

/** ganglion/<robot>/<rest> -> { robot, rest }; null outside the tree or for the reply subtree. */
function robotTopic(topic: string): { robot: string; rest: string } | null {
  const parts = topic.split('/');
  if (parts[0] !== TOPIC_ROOT || parts.length < 3 || parts[1] === REPLY_LEVEL) return null;
  return { robot: parts[1]!, rest: parts.slice(2).join('/') };
}

/** ganglion/_reply/<user>/<id...> -> user; null otherwise. */
export function replyOwner(topic: string): string | null {
  const parts = topic.split('/');
  return parts[0] === TOPIC_ROOT && parts[1] === REPLY_LEVEL && parts.length >= 4 && parts[2] !== '' ? parts[2]! : null;
}

export function commandOf(topic: string): { robot: string; command: string } | null {
  const r = robotTopic(topic);
  if (!r) return null;
  const m = /^cmd\/([^/]+)$/.exec(r.rest);
  return m ? { robot: r.robot, command: m[1]! } : null;
}

export function mayPublish(id: Identity, topic: string): boolean {
  if (id.role === 'robot') {
    if (replyOwner(topic) !== null) return true; // replies go to whoever asked
    const r = robotTopic(topic);
    if (!r || !may(id, r.robot)) return false;
    return ROBOT_OUT_TOPICS.some((f) => topicMatches(f, r.rest)) || topicMatches(ROBOT_TUNNEL, r.rest);
  }
  const c = commandOf(topic);
  return !!c && may(id, c.robot) && (ROLE_COMMANDS[id.role] as readonly string[]).includes(c.command);
}

/** A response topic a client may ask replies on: only its own reply subtree, so nobody can aim a robot's replies at someone else. */
export function mayUseResponseTopic(id: Identity, responseTopic: string): boolean {
  return replyOwner(responseTopic) === id.username && !/[+#]/.test(responseTopic);
}

/**
 * Subscriptions: anything under ganglion/ (what is delivered is filtered per message by mayReceive), except
 * another user's reply subtree, which is refused outright. Nothing outside ganglion/ ($SYS, other apps).
 */
export function maySubscribe(id: Identity, filter: string): boolean {
  const parts = filter.split('/');
  if (parts[0] !== TOPIC_ROOT || parts.length < 2) return false;
  if (parts[1] === REPLY_LEVEL) return parts.length >= 3 && parts[2] === id.username;
  if (parts[1] !== '+' && parts[1] !== '#' && !may(id, parts[1]!)) return false;
  return true;
}

/** Per delivered message: own replies only; the readable topics of robots the identity may see (robot accounts: their own, plus their tunnel). */
export function mayReceive(id: Identity, topic: string): boolean {
  const owner = replyOwner(topic);
  if (owner !== null) return owner === id.username;
  const r = robotTopic(topic);
  if (!r || !may(id, r.robot)) return false;
  if (READABLE_TOPICS.some((f) => topicMatches(f, r.rest))) return true;
  return id.role === 'robot' && topicMatches(ROBOT_TUNNEL, r.rest);
}

/**
 * mayReceive with a memo per identity: the broker asks for every message and every subscriber, and a robot's topics
 * are few. Bounded: a flood of distinct topics (reply ids) clears it instead of growing it.
 */
export const memoMayReceive = (max_entries = 4096) => memoPerIdentity(mayReceive, max_entries);

/** mayPublish with the same bounded memo: the front and the broker's backstop ask it for every incoming publish. */
export const memoMayPublish = (max_entries = 4096) => memoPerIdentity(mayPublish, max_entries);

/** Longer topics are decided afresh, not remembered: a topic may be 64 KiB, and max_entries of those would be a lot of memory. */
const MEMO_MAX_TOPIC_CHARS = 256;

/** A pure (identity, topic) decision, remembered per identity and topic; cleared when it reaches max_entries. */
function memoPerIdentity(decide: (id: Identity, topic: string) => boolean, max_entries: number): (id: Identity, topic: string) => boolean {
  const memo = new WeakMap<Identity, Map<string, boolean>>();
  return (id, topic) => {
    if (topic.length > MEMO_MAX_TOPIC_CHARS) return decide(id, topic);
    let m = memo.get(id);
    if (!m) memo.set(id, (m = new Map()));
    let ok = m.get(topic);
    if (ok === undefined) {
      ok = decide(id, topic);
      if (m.size >= max_entries) m.clear();
      m.set(topic, ok);
    }
    return ok;
  };
}
