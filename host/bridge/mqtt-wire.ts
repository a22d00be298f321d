// Small MQTT wire-format helpers (framing, varints, strings, MQTT 5 property walking) for the MQTT 5 front of the embedded broker.

export const PACKET = {
  CONNECT: 1, CONNACK: 2, PUBLISH: 3, PUBACK: 4, PUBREC: 5, PUBREL: 6, PUBCOMP: 7,
  SUBSCRIBE: 8, SUBACK: 9, UNSUBSCRIBE: 10, UNSUBACK: 11, PINGREQ: 12, PINGRESP: 13, DISCONNECT: 14, AUTH: 15,
} as const;

export class WireError extends Error {}

/** Encodes a variable byte integer (1-4 bytes, 7 bits each, least significant first). */
export function varint(n: number): Buffer {
  if (n < 0 || n > 268_435_455) throw new WireError(`varint out of range: ${n}`);
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** Bytes a variable byte integer of `n` takes. */
export const varintSize = (n: number) => (n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4);

/** Writes `n` as a variable byte integer into `buf` at `at`; returns the offset after it (the per-message paths build packets in place). */
export function writeVarint(buf: Buffer, at: number, n: number): number {
  if (n < 0 || n > 268_435_455) throw new WireError(`varint out of range: ${n}`);
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    buf[at++] = b;
  } while (n > 0);
  return at;
}

/** Decodes a variable byte integer at `at`; null when the buffer ends before it does. */
export function readVarint(buf: Buffer, at: number): { value: number; size: number } | null {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 4; i++) {
    if (at + i >= buf.length) return null;
    const b = buf[at + i]!;
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return { value, size: i + 1 };
    mul *= 128;
  }
  throw new WireError('malformed variable byte integer');
}

export const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
export const str = (s: string | Buffer) => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  if (b.length > 0xffff) throw new WireError('string longer than 65535 bytes');
  return Buffer.concat([u16(b.length), b]);
};

/** Reads a u16-length-prefixed field; throws when it runs past `end`. */
export function readField(buf: Buffer, at: number, end: number): { value: Buffer; next: number } {
  if (at + 2 > end) throw new WireError('truncated field length');
  const n = buf.readUInt16BE(at);
  if (at + 2 + n > end) throw new WireError('truncated field');
  return { value: buf.subarray(at + 2, at + 2 + n), next: at + 2 + n };
}

/** A whole packet assembled from `header byte + remaining length + body`. */
export function packet(byte0: number, ...body: Buffer[]): Buffer {
  const b = Buffer.concat(body);
  return Buffer.concat([Buffer.from([byte0]), varint(b.length), b]);
}

/** Splits a byte stream into whole MQTT packets; refuses (throws) a packet larger than `max_bytes`. */
export class Framer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly max_bytes: number) {}

  push(chunk: Buffer, onPacket: (p: Buffer) => void): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let at = 0;
    while (this.buf.length - at >= 2) {
      const rl = readVarint(this.buf, at + 1);
      if (!rl) break;
      const total = 1 + rl.size + rl.value;
      if (total > this.max_bytes) throw new WireError(`packet of ${total} bytes is over the ${this.max_bytes}-byte limit`);
      if (this.buf.length - at < total) break;
      onPacket(this.buf.subarray(at, at + total));
      at += total;
    }
    this.buf = at === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(at);
  }
}

/** Offset of the body (after the fixed header) and its end. */
export function body(p: Buffer): { start: number; end: number } {
  const rl = readVarint(p, 1)!;
  return { start: 1 + rl.size, end: 1 + rl.size + rl.value };
}

// MQTT 5 property identifiers by value type (spec 2.2.2.2).
const BYTE = new Set([0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2a]);
const U16 = new Set([0x13, 0x21, 0x22, 0x23]);
const U32 = new Set([0x02, 0x11, 0x18, 0x27]);
const VARINT = new Set([0x0b]);
const UTF8 = new Set([0x03, 0x08, 0x12, 0x15, 0x1a, 0x1c, 0x1f]);
const BINARY = new Set([0x09, 0x16]);
const PAIR = 0x26;

export const PROP = {
  PAYLOAD_FORMAT: 0x01, MESSAGE_EXPIRY: 0x02, CONTENT_TYPE: 0x03, RESPONSE_TOPIC: 0x08, CORRELATION_DATA: 0x09,
  SUBSCRIPTION_ID: 0x0b, WILL_DELAY: 0x18, TOPIC_ALIAS: 0x23, REASON_STRING: 0x1f, MAX_PACKET_SIZE: 0x27,
  SHARED_SUB_AVAILABLE: 0x2a, USER_PROPERTY: 0x26,
} as const;

export interface PropSlice {
  id: number;
  /** The whole property (identifier and value) within the properties block. */
  start: number;
  end: number;
  /** The value's bytes without a length prefix, for string and binary properties. */
  value?: Buffer;
}

/** Walks an MQTT 5 properties block (without its length prefix). Throws on an unknown identifier or truncation. */
export function walkProps(props: Buffer): PropSlice[] {
  const out: PropSlice[] = [];
  let at = 0;
  while (at < props.length) {
    const start = at;
    const idv = readVarint(props, at);
    if (!idv) throw new WireError('truncated property identifier');
    const id = idv.value;
    at += idv.size;
    let value: Buffer | undefined;
    if (BYTE.has(id)) at += 1;
    else if (U16.has(id)) at += 2;
    else if (U32.has(id)) at += 4;
    else if (VARINT.has(id)) {
      const v = readVarint(props, at);
      if (!v) throw new WireError('truncated property');
      at += v.size;
    } else if (UTF8.has(id) || BINARY.has(id)) {
      const f = readField(props, at, props.length);
      value = f.value;
      at = f.next;
    } else if (id === PAIR) {
      at = readField(props, readField(props, at, props.length).next, props.length).next;
    } else throw new WireError(`unknown MQTT 5 property 0x${id.toString(16)}`);
    if (at > props.length) throw new WireError('truncated property');
    out.push({ id, start, end: at, ...(value ? { value } : {}) });
  }
  return out;
}
