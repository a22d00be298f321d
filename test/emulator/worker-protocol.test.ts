// The emulator worker's hot-path message check (asTxMessage) accepts exactly what FromWorkerSchema accepts as a 'tx'.
import t from 'tap';
import { asTxMessage, FromWorkerSchema } from '../../host/emulator/worker-protocol.ts';

t.test('asTxMessage agrees with the schema on tx messages, and leaves every other message to it', (t) => {
  const cases: [string, unknown][] = [
    ['tx bytes', { type: 'tx', bytes: new Uint8Array([1, 2, 3]) }],
    ['empty tx', { type: 'tx', bytes: new Uint8Array(0) }],
    ['an extra key', { type: 'tx', bytes: new Uint8Array(1), extra: 1 }],
    ['bytes as an array', { type: 'tx', bytes: [1, 2] }],
    ['bytes as a Buffer-like object', { type: 'tx', bytes: { length: 1, 0: 7 } }],
    ['no bytes', { type: 'tx' }],
    ['null', null],
    ['a string', 'tx'],
    ['a lag message', { type: 'lag', lag_ms: 3 }],
  ];
  for (const [what, raw] of cases) {
    const fast = asTxMessage(raw);
    const schema = FromWorkerSchema.safeParse(raw);
    const schemaTx = schema.success && schema.data.type === 'tx';
    t.equal(fast !== null, schemaTx, `${what}: ${schemaTx ? 'a tx' : 'not a tx'} for both`);
    if (fast) t.equal(fast.bytes, (raw as { bytes: Uint8Array }).bytes, `${what}: the same bytes`);
  }
  t.end();
});
