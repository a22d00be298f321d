// Round-trip property of the message codec over every message in the table, single and packed back to back.
import t from 'tap';
import fc from 'fast-check';
import { MESSAGES, type FieldDef, type MessageDef } from '../../host/protocol/messages.ts';
import { decodePayload, encodeMessage, type MessageName } from '../../host/protocol/codec.ts';

const RANGE: Record<FieldDef['type'], [number, number]> = {
  u8: [0, 0xff], i8: [-0x80, 0x7f], u16: [0, 0xffff], i16: [-0x8000, 0x7fff], u32: [0, 0xffffffff], i32: [-0x80000000, 0x7fffffff],
};

function fieldsArb(m: MessageDef): fc.Arbitrary<Record<string, number | number[]>> {
  const rec: Record<string, fc.Arbitrary<number | number[]>> = {};
  for (const f of m.fields) {
    const [min, max] = RANGE[f.type];
    const v = fc.integer({ min, max });
    rec[f.name] = f.count ? fc.array(v, { minLength: f.count, maxLength: f.count }) : v;
  }
  return fc.record(rec);
}

const messageArb = fc.oneof(...MESSAGES.map((m) => fieldsArb(m).map((fields) => ({ name: m.name as MessageName, fields }))));

t.test('every message decodes to what was encoded', async (t) => {
  for (const m of MESSAGES) {
    fc.assert(
      fc.property(fieldsArb(m), (fields) => {
        const out = decodePayload(encodeMessage(m.name as MessageName, fields as never));
        return out.length === 1 && out[0]!.name === m.name && JSON.stringify(out[0]!.fields) === JSON.stringify(fields);
      }),
      { numRuns: 200 },
    );
  }
  t.pass(`${MESSAGES.length} messages round-trip`);
});

t.test('messages packed back to back in one payload decode in order', async (t) => {
  fc.assert(
    fc.property(fc.array(messageArb, { minLength: 1, maxLength: 6 }), (msgs) => {
      const parts = msgs.map((m) => encodeMessage(m.name, m.fields as never));
      const payload = Buffer.concat(parts);
      const out = decodePayload(payload);
      return JSON.stringify(out) === JSON.stringify(msgs);
    }),
    { numRuns: 500 },
  );
  t.pass('packed payloads round-trip');
});

t.test('out-of-range values are refused naming the field', async (t) => {
  t.throws(() => encodeMessage('set_servo', { index: 256, pulse_us: 1500 }), /index/);
  t.throws(() => encodeMessage('set_motors', { mode: [0, 0, 0], value: [0, 0, 0, 0] }), /mode/);
  t.throws(() => encodeMessage('ping', { token: 1.5 }), /token/);
});

t.test('a truncated payload throws and yields nothing', async (t) => {
  const p = encodeMessage('ping', { token: 7 });
  t.throws(() => decodePayload(p.subarray(0, p.length - 1)), /truncated/);
  t.throws(() => decodePayload(Uint8Array.from([0x7f])), /unknown message id/);
});
