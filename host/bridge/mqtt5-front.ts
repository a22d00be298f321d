// An MQTT 5 front for aedes (which speaks only 3.1.1): translates each connection's packets both ways, carries MQTT 5 publish properties through aedes inside the payload, and enforces publish ACL and response-topic ownership with MQTT 5 reason codes.
// Over 300 lines on purpose: both directions of one connection share its state (identity, topic aliases, pending unsubscribes);
// the packet codec is apart in mqtt-wire.ts and the ACL in acl.ts.
import { Duplex } from 'node:stream';
import { commandOf, mayUseResponseTopic, memoMayPublish, replyOwner, type Identity } from './acl.ts';
import { body, Framer, packet, PACKET, PROP, readField, readVarint, str, u16, varint, varintSize, walkProps, WireError, writeVarint } from './mqtt-wire.ts';

/**
 * Why an envelope: aedes routes and retains 3.1.1 packets, which have no properties, so a response topic or
 * correlation data would be lost between the publisher and the subscriber. The front prefixes such a payload with
 * MAGIC + varint length + the raw MQTT 5 properties block, and strips it again on the way out (restoring the
 * properties for MQTT 5 subscribers). A payload that happens to start with MAGIC is wrapped with no properties,
 * so exactly one envelope is ever stripped and nobody can forge properties from a 3.1.1 client.
 */
export const ENVELOPE_MAGIC = Buffer.from([0x00, 0x47, 0x35, 0x50, 0x52, 0x4f, 0x50, 0x00]); // "\0G5PROP\0"
const EMPTY: Buffer = Buffer.alloc(0);
const hasMagic = (b: Buffer) => b.length >= ENVELOPE_MAGIC.length && b.compare(ENVELOPE_MAGIC, 0, 8, 0, 8) === 0;
/** hasMagic of p[at, end) without making the subarray (per delivered message). */
const hasMagicAt = (p: Buffer, at: number, end: number) => end - at >= 8 && p.compare(ENVELOPE_MAGIC, 0, 8, at, at + 8) === 0;
const envelope = (props: Buffer, payload: Buffer) => Buffer.concat([ENVELOPE_MAGIC, varint(props.length), props, payload]);

function unwrap(payload: Buffer): { props: Buffer; payload: Buffer } {
  if (!hasMagic(payload)) return { props: EMPTY, payload };
  const l = readVarint(payload, 8);
  if (!l) throw new WireError('truncated property envelope');
  const at = 8 + l.size;
  return { props: payload.subarray(at, at + l.value), payload: payload.subarray(at + l.value) };
}

/** Every incoming publish is checked; the memo is per identity (bounded), so it is shared by that account's connections. */
const mayPublish = memoMayPublish();

const ESTOP_SUFFIX = Buffer.from('/cmd/estop');

/** A PUBLISH to some robot's cmd/estop (by its topic name; the ACL still decides whether it may pass). */
function isEstopPublish(p: Buffer): boolean {
  if (p[0]! >> 4 !== PACKET.PUBLISH) return false;
  const { start, end } = body(p);
  if (start + 2 > end) return false;
  const n = p.readUInt16BE(start);
  const topicEnd = start + 2 + n;
  return topicEnd <= end && n >= ESTOP_SUFFIX.length && p.compare(ESTOP_SUFFIX, 0, ESTOP_SUFFIX.length, topicEnd - ESTOP_SUFFIX.length, topicEnd) === 0;
}

/** 3.1.1 CONNACK return codes -> MQTT 5 reason codes. */
const CONNACK_V5: Record<number, number> = { 0: 0x00, 1: 0x84, 2: 0x85, 3: 0x88, 4: 0x86, 5: 0x87 };
const NOT_AUTHORIZED = 0x87;

export interface FrontOptions {
  /** Largest packet accepted from a client [bytes]; bigger closes the connection (advertised in the MQTT 5 CONNACK). */
  max_packet_bytes: number;
  /** The identity of a username the broker has just accepted. */
  identify(username: string | null): Identity | null;
  /** A publish refused by the ACL (for logs and tests). */
  onRefused?(who: string | null, topic: string, why: string): void;
  /** [1/s] publishes a client may send, sustained (bursts of twice that); past it its socket is paused (TCP backpressure). Default 1000. */
  max_publish_per_s?: number;
  /** A client was throttled (its socket paused), for logs and stats. */
  onThrottled?(who: string | null): void;
  /** The client id to register for this username and the id the client sent (client-ids.ts: ids go under their account). */
  clientId?(username: string | null, id: string): string;
}

interface Connect {
  level: number;
  flags: number;
  keepalive: number;
  protocolName: Buffer;
  clientId: Buffer;
  will: { props: Buffer; topic: Buffer; payload: Buffer } | null;
  username: Buffer | null;
  password: Buffer | null;
}

function parseConnect(p: Buffer): Connect {
  const { start, end } = body(p);
  const name = readField(p, start, end);
  let at = name.next;
  if (at + 4 > end) throw new WireError('truncated CONNECT');
  const level = p[at]!;
  const flags = p[at + 1]!;
  const keepalive = p.readUInt16BE(at + 2);
  at += 4;
  if (level === 5) at = skipProps(p, at, end).next;
  const clientId = readField(p, at, end);
  at = clientId.next;
  let will: Connect['will'] = null;
  if (flags & 0x04) {
    let props = EMPTY;
    if (level === 5) ({ props, next: at } = skipProps(p, at, end));
    const topic = readField(p, at, end);
    const payload = readField(p, topic.next, end);
    at = payload.next;
    will = { props, topic: topic.value, payload: payload.value };
  }
  let username: Buffer | null = null;
  let password: Buffer | null = null;
  if (flags & 0x80) ({ value: username, next: at } = readField(p, at, end));
  if (flags & 0x40) ({ value: password, next: at } = readField(p, at, end));
  return { level, flags, keepalive, protocolName: name.value, clientId: clientId.value, will, username, password };
}

function skipProps(p: Buffer, at: number, end: number): { props: Buffer; next: number } {
  const l = readVarint(p, at);
  if (!l || at + l.size + l.value > end) throw new WireError('truncated properties');
  const s = at + l.size;
  return { props: p.subarray(s, s + l.value), next: s + l.value };
}

/** Keeps only the properties `keep` accepts, re-joined into one block. */
function filterProps(props: Buffer, keep: (id: number, value?: Buffer) => boolean): Buffer {
  if (props.length === 0) return props;
  const slices = walkProps(props);
  if (slices.every((s) => keep(s.id, s.value))) return props;
  return Buffer.concat(slices.filter((s) => keep(s.id, s.value)).map((s) => props.subarray(s.start, s.end)));
}

/**
 * Wraps one client connection (TCP, TLS or WebSocket stream). Returns the stream to hand to aedes.handle(): aedes
 * reads and writes 3.1.1 on it, the client speaks 3.1.1 or 5 on `socket`.
 */
export function mqtt5Front(socket: Duplex, o: FrontOptions): Duplex {
  let level = 0; // protocol level of the client: 3, 4 or 5 once CONNECT arrived
  let username: string | null = null;
  let identity: Identity | null = null;
  /** Paused by the publish token bucket (below) until its timer. */
  let throttled = false;
  let accepted = false;
  const early: Buffer[] = []; // client packets that arrived before the CONNACK: checked once the identity is known
  const unsubCounts = new Map<number, number>();
  const refusedQos2 = new Set<number>();
  const inFramer = new Framer(o.max_packet_bytes);
  const outFramer = new Framer(Number.MAX_SAFE_INTEGER);

  /** Bytes from aedes: framed into packets, each translated by egress(); the callback waits for the socket's drain. */
  const fromBroker = (bytes: Buffer, cb: (e?: Error | null) => void) => {
    try {
      outFramer.push(bytes, egress);
    } catch (e) {
      return cb(e as Error);
    }
    if (socket.writableNeedDrain) socket.once('drain', () => cb());
    else cb();
  };
  const inner = new Duplex({
    read() {
      // aedes asks for more as soon as it has read: a socket paused by the token bucket below stays paused until its
      // timer, or the limit would not hold (a flood was read at 9000/s against a limit of 1000).
      if (!throttled) socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      fromBroker(chunk, cb);
    },
    // aedes writes a packet as several small chunks (header, length, topic, payload) inside a cork: taken together
    // they are framed once instead of the framer joining its buffer with each chunk in turn.
    writev(chunks, cb) {
      fromBroker(chunks.length === 1 ? chunks[0]!.chunk as Buffer : Buffer.concat(chunks.map((c) => c.chunk as Buffer)), cb);
    },
    final(cb) {
      flush();
      socket.end();
      cb();
    },
    destroy(err, cb) {
      flush(); // what aedes wrote just before closing (a refusing CONNACK) still leaves
      socket.destroy();
      cb(err);
    },
  });

  const toBroker = (b: Buffer) => {
    if (!inner.push(b)) socket.pause();
  };
  // Packets aedes delivers in one burst leave in one writev: corked until the end of this turn of the event loop
  // (a write syscall per message cost more than everything else the front does). setImmediate, not nextTick: aedes
  // delivers each message in a tick of its own, so a nextTick uncork wrote every message alone; setImmediate runs
  // right after this turn's I/O callbacks, so the added latency is that turn's remaining work, not a timer.
  let corked = false;
  const flush = () => {
    if (!corked) return;
    corked = false;
    socket.uncork();
  };
  const toClient = (b: Buffer) => {
    if (socket.destroyed) return;
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(flush);
    }
    socket.write(b);
  };
  const fail = (e: unknown) => {
    socket.destroy();
    inner.destroy(e instanceof WireError ? undefined : (e as Error));
  };

  // Per-client token bucket: a flood from one client (malformed or not) costs the process at most this rate, so the
  // MCU links and the executor on the same event loop keep their time. The robot's own account is exempt: its
  // telemetry is what the broker is for, paced by the robot's own configuration (and its credentials exist only in
  // the robot process's memory, services.ts).
  const rate = o.max_publish_per_s ?? 1000;
  let tokens = 2 * rate;
  let tokensAt = performance.now();
  // Packets that arrived in the same read as the publish that emptied the bucket (a 64 KiB read holds a thousand small
  // publishes): held, in order, until the bucket has refilled, so the limit holds per packet and not per read. At most
  // one read's worth: the socket is paused meanwhile.
  let held: Buffer[] = [];
  const spend = () => {
    if (identity?.role === 'robot') return;
    const now = performance.now();
    tokens = Math.min(2 * rate, tokens + ((now - tokensAt) / 1000) * rate);
    tokensAt = now;
    tokens--;
    if (tokens >= 0 || throttled) return;
    throttled = true;
    socket.pause();
    o.onThrottled?.(username);
    // Wake when a tenth of a second's worth has come back: a batch per wake, not a timer per publish.
    setTimeout(release, Math.ceil(((rate / 10 - tokens) / rate) * 1000));
  };
  const release = () => {
    throttled = false;
    const q = held;
    held = [];
    for (let i = 0; i < q.length; i++) {
      if (throttled) {
        held = q.slice(i).concat(held);
        return;
      }
      try {
        ingress(q[i]!);
      } catch (e) {
        return fail(e);
      }
    }
    if (!throttled && !socket.destroyed) socket.resume();
  };

  socket.on('data', (chunk: Buffer) => {
    try {
      // A copy when held: the framer reuses its buffer. An e-stop is never held: stopping skips every queue.
      inFramer.push(chunk, (p) => (throttled && !isEstopPublish(p) ? held.push(Buffer.from(p)) : ingress(p)));
    } catch (e) {
      fail(e);
    }
  });
  socket.on('end', () => inner.push(null));
  socket.on('close', () => inner.destroy());
  socket.on('error', () => inner.destroy());

  function ingress(p: Buffer): void {
    const type = p[0]! >> 4;
    if (level === 0) {
      if (type !== PACKET.CONNECT) throw new WireError('the first packet must be CONNECT');
      return toBroker(connect(p));
    }
    if (!accepted) {
      if (early.length > 1000) throw new WireError('too many packets before CONNACK');
      early.push(Buffer.from(p)); // a copy: the framer's buffer is reused
      return;
    }
    switch (type) {
      case PACKET.PUBLISH:
        spend();
        return publishIn(p);
      case PACKET.PUBACK: case PACKET.PUBREC: case PACKET.PUBREL: case PACKET.PUBCOMP: {
        const { start } = body(p);
        const pid = p.readUInt16BE(start);
        if (type === PACKET.PUBREL && refusedQos2.delete(pid)) return toClient(Buffer.from([0x70, 2, ...u16(pid)]));
        // MQTT 5 may add a reason code and properties; 3.1.1 is exactly the packet id.
        return toBroker(level === 5 ? Buffer.from([p[0]!, 2, ...u16(pid)]) : p);
      }
      case PACKET.SUBSCRIBE:
        return toBroker(level === 5 ? subscribeIn(p) : p);
      case PACKET.UNSUBSCRIBE:
        return toBroker(unsubscribeIn(p));
      case PACKET.PINGREQ:
        return toBroker(p);
      case PACKET.DISCONNECT: {
        const { start, end } = body(p);
        // MQTT 5 "disconnect with will message" (0x04): close without a DISCONNECT so aedes publishes the will.
        if (level === 5 && end > start && p[start] === 0x04) return void socket.destroy();
        return toBroker(Buffer.from([0xe0, 0]));
      }
      default:
        throw new WireError(`unexpected packet type ${type}`);
    }
  }

  function connect(p: Buffer): Buffer {
    const c = parseConnect(p);
    if (c.level !== 3 && c.level !== 4 && c.level !== 5) {
      level = 4;
      return p; // aedes refuses it with "unacceptable protocol version"
    }
    level = c.level;
    username = c.username ? c.username.toString('utf8') : null;
    const clientId = o.clientId ? Buffer.from(o.clientId(username, c.clientId.toString('utf8')), 'utf8') : c.clientId;
    const sameId = clientId.equals(c.clientId);
    if (level !== 5 && sameId && !(c.will && hasMagic(c.will.payload))) return p;
    let will = EMPTY;
    if (c.will) {
      const props = filterProps(c.will.props, (id, v) =>
        id !== PROP.WILL_DELAY && (id !== PROP.RESPONSE_TOPIC || (!!v && replyOwner(v.toString('utf8')) === username)));
      const payload = props.length || hasMagic(c.will.payload) ? envelope(props, c.will.payload) : c.will.payload;
      will = Buffer.concat([str(c.will.topic), str(payload)]);
    }
    const name = level === 5 ? Buffer.from('MQTT') : c.protocolName;
    return packet(0x10, str(name), Buffer.from([level === 5 ? 4 : level, c.flags]), u16(c.keepalive), str(clientId), will,
      c.username ? str(c.username) : EMPTY, c.password ? str(c.password) : EMPTY);
  }

  function refuse(qos: number, pid: number, topic: string, why: string): void {
    o.onRefused?.(username, topic, why);
    if (qos === 0) return;
    const type = qos === 1 ? 0x40 : 0x50;
    if (level === 5) {
      const reason = Buffer.concat([Buffer.from([PROP.REASON_STRING]), str(why)]);
      toClient(packet(type, u16(pid), Buffer.from([NOT_AUTHORIZED]), varint(reason.length), reason));
    } else {
      // 3.1.1 has no negative ack: acknowledge and drop (as mosquitto does); a QoS 2 flow is finished here.
      if (qos === 2) refusedQos2.add(pid);
      toClient(Buffer.from([type, 2, ...u16(pid)]));
    }
  }

  function publishIn(p: Buffer): void {
    const { start, end } = body(p);
    const qos = (p[0]! >> 1) & 3;
    if (qos === 3) throw new WireError('PUBLISH with QoS 3');
    const t = readField(p, start, end);
    const topic = t.value.toString('utf8');
    const headEnd = t.next + (qos > 0 ? 2 : 0);
    const pid = qos > 0 ? p.readUInt16BE(t.next) : 0;
    let props = EMPTY;
    let at = headEnd;
    if (level === 5) ({ props, next: at } = skipProps(p, headEnd, end));
    const payload = p.subarray(at, end);
    if (!identity || !mayPublish(identity, topic)) {
      return refuse(qos, pid, topic, `not authorized: ${identity ? `role ${identity.role}` : 'unknown user'} may not publish to ${topic}`);
    }
    // A retained command would run again at every (re)subscribe of the robot: refused whole, for every role.
    if (p[0]! & 0x01 && commandOf(topic)) {
      return refuse(qos, pid, topic, `retain refused: commands (${topic}) are never retained; publish it without the retain flag`);
    }
    let kept = props;
    if (props.length) {
      let badRt: string | null = null;
      kept = filterProps(props, (id, v) => {
        if (id === PROP.TOPIC_ALIAS) throw new WireError('topic aliases are not supported (topic alias maximum is 0)');
        if (id === PROP.RESPONSE_TOPIC && !mayUseResponseTopic(identity!, v!.toString('utf8'))) badRt = v!.toString('utf8');
        return id !== PROP.SUBSCRIPTION_ID;
      });
      if (badRt !== null) return refuse(qos, pid, topic, `not authorized: response topic ${badRt} is not under ganglion/_reply/${identity.username}/`);
    }
    const wrap = kept.length > 0 || hasMagic(payload);
    if (level !== 5 && !wrap) return toBroker(p);
    // The 3.1.1 packet built in one buffer (per message: no intermediate header, varint or envelope buffers).
    const envelopeBytes = wrap ? ENVELOPE_MAGIC.length + varintSize(kept.length) + kept.length : 0;
    const remaining = headEnd - start + envelopeBytes + payload.length;
    const out = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
    out[0] = p[0]!;
    let w = writeVarint(out, 1, remaining);
    w += p.copy(out, w, start, headEnd);
    if (wrap) {
      w += ENVELOPE_MAGIC.copy(out, w);
      w = writeVarint(out, w, kept.length);
      w += kept.copy(out, w);
    }
    payload.copy(out, w);
    toBroker(out);
  }

  function subscribeIn(p: Buffer): Buffer {
    const { start, end } = body(p);
    const pid = p.readUInt16BE(start);
    let at = skipProps(p, start + 2, end).next;
    const parts: Buffer[] = [u16(pid)];
    while (at < end) {
      const f = readField(p, at, end);
      if (f.next >= end) throw new WireError('SUBSCRIBE without options byte');
      // Only the QoS survives: aedes has no no-local / retain-as-published / retain-handling for 3.1.1 clients.
      parts.push(str(f.value), Buffer.from([p[f.next]! & 0x03]));
      at = f.next + 1;
    }
    return packet(0x82, ...parts);
  }

  function unsubscribeIn(p: Buffer): Buffer {
    const { start, end } = body(p);
    const pid = p.readUInt16BE(start);
    let at = level === 5 ? skipProps(p, start + 2, end).next : start + 2;
    const topics: Buffer[] = [];
    while (at < end) {
      const f = readField(p, at, end);
      topics.push(str(f.value));
      at = f.next;
    }
    unsubCounts.set(pid, topics.length);
    return level === 5 ? packet(0xa2, u16(pid), ...topics) : p;
  }

  function egress(p: Buffer): void {
    const type = p[0]! >> 4;
    if (type === PACKET.CONNACK) return connack(p);
    if (type === PACKET.PUBLISH) return publishOut(p);
    if (level === 5 && type === PACKET.SUBACK) {
      const { start, end } = body(p);
      const codes = [...p.subarray(start + 2, end)].map((c) => (c === 0x80 ? NOT_AUTHORIZED : c));
      return toClient(packet(0x90, p.subarray(start, start + 2), Buffer.from([0]), Buffer.from(codes)));
    }
    if (type === PACKET.UNSUBACK) {
      const { start } = body(p);
      const pid = p.readUInt16BE(start);
      const n = unsubCounts.get(pid) ?? 1;
      unsubCounts.delete(pid);
      return toClient(level === 5 ? packet(0xb0, u16(pid), Buffer.from([0]), Buffer.alloc(n)) : p);
    }
    toClient(p);
  }

  function connack(p: Buffer): void {
    const rc = p[3]!;
    if (level === 5) {
      const size = Buffer.alloc(4);
      size.writeUInt32BE(o.max_packet_bytes, 0);
      // The client's role as a user property, so a dashboard can grey out what it may not do before it tries.
      const role = rc === 0 ? o.identify(username)?.role : undefined;
      const str = (v: string) => {
        const b = Buffer.from(v, 'utf8');
        const len = Buffer.alloc(2);
        len.writeUInt16BE(b.length, 0);
        return Buffer.concat([len, b]);
      };
      const props = Buffer.concat([
        Buffer.from([PROP.MAX_PACKET_SIZE]), size, Buffer.from([PROP.SHARED_SUB_AVAILABLE, 0]),
        ...(role ? [Buffer.from([PROP.USER_PROPERTY]), str('role'), str(role)] : []),
      ]);
      toClient(packet(0x20, Buffer.from([p[2]!, CONNACK_V5[rc] ?? 0x80]), varint(props.length), props));
    } else toClient(p);
    if (rc !== 0) {
      early.length = 0;
      return;
    }
    accepted = true;
    identity = o.identify(username);
    for (const q of early.splice(0)) ingress(q);
  }

  function publishOut(p: Buffer): void {
    const { start, end } = body(p);
    const qos = (p[0]! >> 1) & 3;
    const t = readField(p, start, end);
    const headEnd = t.next + (qos > 0 ? 2 : 0);
    const magic = hasMagicAt(p, headEnd, end);
    if (level !== 5 && !magic) return toClient(p);
    const { props, payload } = magic ? unwrap(p.subarray(headEnd, end)) : { props: EMPTY, payload: p.subarray(headEnd, end) };
    // Built in one buffer: this runs for every message and every subscriber.
    const propsBytes = level === 5 ? varintSize(props.length) + props.length : 0;
    const remaining = headEnd - start + propsBytes + payload.length;
    const out = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
    out[0] = p[0]!;
    let w = writeVarint(out, 1, remaining);
    w += p.copy(out, w, start, headEnd);
    if (level === 5) {
      w = writeVarint(out, w, props.length);
      w += props.copy(out, w);
    }
    payload.copy(out, w);
    toClient(out);
  }

  return inner;
}
