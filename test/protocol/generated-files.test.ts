// The committed generated files (C header, TS types, the message reference in docs/protocol.md) must equal what the
// generator renders from messages.ts now, and what they say must agree with the codec and the table's own rules.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { C_HEADER_PATH, PROTOCOL_DOC_PATH, TS_TYPES_PATH, renderC, renderTs, withMessageDoc } from '../../host/protocol/gen.ts';
import { encodeMessage, type MessageName } from '../../host/protocol/codec.ts';
import { MESSAGES, M2H_ID_BIT, SIZES, fieldOffsets, tableProblems, type MessageDef } from '../../host/protocol/messages.ts';

t.test('firmware/core/gng_messages.h is up to date', async (t) => {
  t.equal(readFileSync(C_HEADER_PATH, 'utf8'), renderC(), 'stale: run `npm run gen` and commit the result');
});

t.test('host/protocol/messages.gen.ts is up to date', async (t) => {
  t.equal(readFileSync(TS_TYPES_PATH, 'utf8'), renderTs(), 'stale: run `npm run gen` and commit the result');
});

t.test('the message reference in docs/protocol.md is up to date', async (t) => {
  const doc = readFileSync(PROTOCOL_DOC_PATH, 'utf8');
  t.equal(doc, withMessageDoc(doc), 'stale: run `npm run gen` and commit the result');
});

t.test('the header\'s field offsets are where the codec puts each field', async (t) => {
  const header = readFileSync(C_HEADER_PATH, 'utf8');
  const defined = new Map([...header.matchAll(/^#define (GNG_MSG_\w+_AT) (\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
  let checked = 0;
  for (const m of MESSAGES) {
    for (const f of m.fields) {
      // Encode the message with every byte zero except this field's first element, set to 0x5A, and find it.
      const fields: Record<string, number | number[]> = {};
      for (const g of m.fields) fields[g.name] = g.count ? new Array(g.count).fill(0) : 0;
      fields[f.name] = f.count ? [0x5a, ...new Array(f.count - 1).fill(0)] : 0x5a;
      const bytes = encodeMessage(m.name as MessageName, fields as never);
      const at = bytes.indexOf(0x5a) - 1;
      t.equal(defined.get(`GNG_MSG_${m.name.toUpperCase()}_${f.name.toUpperCase()}_AT`), at, `${m.name}.${f.name} at ${at}`);
      t.equal(fieldOffsets(m).get(f.name), at);
      checked++;
    }
  }
  t.ok(checked > 60, `${checked} fields checked`);
});

t.test('the table keeps its own rules, and the generator refuses a table that breaks one', async (t) => {
  t.same(tableProblems(), []);
  for (const m of MESSAGES) t.equal((m.id & M2H_ID_BIT) !== 0, m.dir === 'm2h', `${m.name} direction bit`);
  const telemetry = MESSAGES.find((m) => m.name === 'telemetry')!;
  const broken: MessageDef[] = [
    { ...telemetry, id: 0x22 },
    { id: 0x30, name: 'bad_unit', dir: 'h2m', doc: '', fields: [{ name: 'wait_ms', type: 'u16', unit: 'us', doc: '' }] },
    { id: 0x31, name: 'too_big', dir: 'h2m', doc: '', fields: [{ name: 'x', type: 'u32', count: 16, doc: '' }] },
  ];
  const problems = tableProblems(broken);
  t.match(problems[0], /telemetry: m2h ids must have bit 7 set \(0x22\)/);
  t.match(problems[1], /bad_unit.wait_ms: a "_ms" field has unit 'ms', not 'us'/);
  t.match(problems[2], /too_big: 65 bytes do not fit one frame's 59-byte payload/);
  t.equal(problems.length, 3);
  t.equal(SIZES.u32 * 16 + 1, 65);
});

t.test('ranges reach the header, and units the comments', async (t) => {
  const header = readFileSync(C_HEADER_PATH, 'utf8');
  t.match(header, /#define GNG_MSG_CONFIG_SERVO_MIN_US_MIN 500 \/\* \[us\] \*\//);
  t.match(header, /#define GNG_MSG_CONFIG_SERVO_MAX_US_MAX 2500 \/\* \[us\] \*\//);
  t.match(header, /#define GNG_MSG_CONFIG_LINK_TELEMETRY_HZ_MAX 1000 /);
  t.match(header, /uint16_t watchdog_ms; \/\* \[ms\] /);
  t.match(readFileSync(TS_TYPES_PATH, 'utf8'), /\/\*\* \[us\] shortest pulse accepted \(500\.\.2500\) \*\//);
});
