// The committed generated files (C header, TS types) must equal what the generator renders from messages.ts now.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { C_HEADER_PATH, TS_TYPES_PATH, renderC, renderTs } from '../../host/protocol/gen.ts';

t.test('firmware/core/gng_messages.h is up to date', async (t) => {
  t.equal(readFileSync(C_HEADER_PATH, 'utf8'), renderC(), 'stale: run `npm run gen` and commit the result');
});

t.test('host/protocol/messages.gen.ts is up to date', async (t) => {
  t.equal(readFileSync(TS_TYPES_PATH, 'utf8'), renderTs(), 'stale: run `npm run gen` and commit the result');
});
