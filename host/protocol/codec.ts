// Message codec driven by the message table: encodes host messages and decodes a frame payload into messages.
import { MESSAGES, SIZES, payloadBytes, type FieldDef, type MessageDef } from './messages.ts';
import type { AnyMessages } from './messages.gen.ts';

export type MessageName = keyof AnyMessages;
export type Decoded = { [K in MessageName]: { name: K; fields: AnyMessages[K] } }[MessageName];

const BY_NAME = new Map<string, MessageDef>(MESSAGES.map((m) => [m.name, m]));
const BY_ID = new Map<number, MessageDef>(MESSAGES.map((m) => [m.id, m]));

export function messageDef(name: MessageName): MessageDef {
  const m = BY_NAME.get(name);
  if (!m) throw new Error(`unknown message "${name}"`);
  return m;
}

/** Raised for any payload that does not parse completely; nothing in such a payload is applied. */
export class DecodeError extends Error {}

function range(f: FieldDef): [number, number] {
  switch (f.type) {
    case 'u8': return [0, 0xff];
    case 'i8': return [-0x80, 0x7f];
    case 'u16': return [0, 0xffff];
    case 'i16': return [-0x8000, 0x7fff];
    case 'u32': return [0, 0xffffffff];
    case 'i32': return [-0x80000000, 0x7fffffff];
  }
}

function put(view: DataView, off: number, f: FieldDef, v: number): void {
  const [lo, hi] = range(f);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`field ${f.name}: ${v} is outside ${f.type} [${lo}, ${hi}]`);
  switch (f.type) {
    case 'u8': view.setUint8(off, v); break;
    case 'i8': view.setInt8(off, v); break;
    case 'u16': view.setUint16(off, v, true); break;
    case 'i16': view.setInt16(off, v, true); break;
    case 'u32': view.setUint32(off, v, true); break;
    case 'i32': view.setInt32(off, v, true); break;
  }
}

function get(view: DataView, off: number, f: FieldDef): number {
  switch (f.type) {
    case 'u8': return view.getUint8(off);
    case 'i8': return view.getInt8(off);
    case 'u16': return view.getUint16(off, true);
    case 'i16': return view.getInt16(off, true);
    case 'u32': return view.getUint32(off, true);
    case 'i32': return view.getInt32(off, true);
  }
}

/** Encode one message (id byte + fields, little-endian). Throws naming the field on a bad value. */
export function encodeMessage<K extends MessageName>(name: K, fields: AnyMessages[K]): Uint8Array {
  const m = messageDef(name);
  const out = new Uint8Array(1 + payloadBytes(m));
  const view = new DataView(out.buffer);
  out[0] = m.id;
  let off = 1;
  const rec = fields as unknown as Record<string, number | number[]>;
  for (const f of m.fields) {
    const v = rec[f.name];
    if (f.count) {
      if (!Array.isArray(v) || v.length !== f.count) throw new RangeError(`field ${f.name}: expected ${f.count} values`);
      for (const x of v) { put(view, off, f, x); off += SIZES[f.type]; }
    } else {
      if (typeof v !== 'number') throw new RangeError(`field ${f.name}: expected a number`);
      put(view, off, f, v);
      off += SIZES[f.type];
    }
  }
  return out;
}

/** Decode every message in a payload. Throws DecodeError on an unknown id or a truncated message. */
export function decodePayload(payload: Uint8Array): Decoded[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const out: Decoded[] = [];
  let off = 0;
  while (off < payload.length) {
    const m = BY_ID.get(payload[off]!);
    if (!m) throw new DecodeError(`unknown message id 0x${payload[off]!.toString(16)} at byte ${off}`);
    const size = payloadBytes(m);
    if (off + 1 + size > payload.length) throw new DecodeError(`${m.name} truncated: needs ${size} bytes, has ${payload.length - off - 1}`);
    off++;
    const fields: Record<string, number | number[]> = {};
    for (const f of m.fields) {
      if (f.count) {
        const arr: number[] = [];
        for (let i = 0; i < f.count; i++) { arr.push(get(view, off, f)); off += SIZES[f.type]; }
        fields[f.name] = arr;
      } else {
        fields[f.name] = get(view, off, f);
        off += SIZES[f.type];
      }
    }
    out.push({ name: m.name, fields } as Decoded);
  }
  return out;
}
