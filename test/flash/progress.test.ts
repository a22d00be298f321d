// avrdude progress parsing: bars in any chunking become write/verify percentages; other lines are kept for errors.
import t from 'tap';
import { AvrdudeProgress, type ProgressEvent } from '../../host/flash/progress.ts';

// What avrdude 7.1 prints to a non-terminal stderr while flashing an Uno (recorded from a run against Optiboot).
const RECORDED = [
  'avrdude: AVR device initialized and ready to accept instructions',
  'avrdude: device signature = 0x1e950f (probably m328p)',
  'avrdude: reading input file app.hex for flash',
  '         with 358 bytes in 1 section within [0, 0x165]',
  'avrdude: writing 358 bytes flash ...',
  '',
  `Writing | ${'#'.repeat(50)} | 100% 0.04s`,
  '',
  'avrdude: 358 bytes of flash written',
  'avrdude: verifying flash memory against app.hex',
  '',
  `Reading | ${'#'.repeat(50)} | 100% 0.05s`,
  '',
  'avrdude: 358 bytes of flash verified',
  '',
  'avrdude done.  Thank you.',
  '',
].join('\n');

function parse(chunks: string[]): { events: ProgressEvent[]; p: AvrdudeProgress } {
  const p = new AvrdudeProgress();
  const events: ProgressEvent[] = [];
  for (const c of chunks) p.push(c, (e) => events.push(e));
  return { events, p };
}

t.test('one chunk: write then verify, 0 to 100 in steps of 2', async (t) => {
  const { events, p } = parse([RECORDED]);
  const writes = events.filter((e) => e.phase === 'write').map((e) => e.percent);
  const verifies = events.filter((e) => e.phase === 'verify').map((e) => e.percent);
  t.equal(writes.length, 51);
  t.equal(writes[0], 0);
  t.equal(writes.at(-1), 100);
  t.same(verifies.slice(0, 3), [0, 2, 4]);
  t.equal(verifies.at(-1), 100);
  t.notOk(events.some((e) => e.phase === 'read'));
  t.same(p.tail(2), ['avrdude: 358 bytes of flash verified', 'avrdude done.  Thank you.']);
  t.notOk(p.lines.some((l) => l.includes('Writing') || l.includes('#')), 'bars are not kept as lines');
});

t.test('byte-by-byte chunking gives the same events', async (t) => {
  t.same(parse([...RECORDED]).events, parse([RECORDED]).events);
});

t.test('a read without a write is a read, and a failed run keeps its last lines', async (t) => {
  const { events, p } = parse([`Reading | ${'#'.repeat(10)}`, '\navrdude error: programmer is not responding\navrdude done.  Thank you.\n']);
  t.same(events.at(-1), { phase: 'read', percent: 20 });
  t.same(p.tail(1), ['avrdude done.  Thank you.']);
  t.same(p.tail(2)[0], 'avrdude error: programmer is not responding');
});
