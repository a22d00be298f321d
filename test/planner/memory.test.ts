// The DROC corrections memory: stored with source and outcome, retrieved by similarity, listed / deleted / imported from the CLI, rewritten atomically.
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { memoryMain } from '../../host/cli/memory.ts';
import { MemoryStore } from '../../host/planner/memory.ts';
import { tfidfScores, tokens } from '../../host/planner/retrieval.ts';
import { appendCorrection } from '../../host/skills/correction-log.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'ganglion-memory-'));

t.test('tokens and TF-IDF: shared rare words score high, unrelated text scores 0', (t) => {
  t.same(tokens('Put the RED block into the bin!'), ['put', 'red', 'block', 'bin']);
  const s = tfidfScores('put the red block in the bin', ['put the red block in the bin', 'put the blue block in the bin', 'turn left slowly', '']);
  t.ok(Math.abs(s[0]! - 1) < 1e-9, 'identical text scores 1');
  t.ok(s[1]! > 0.3 && s[1]! < s[0]!, `sharing most words scores in between (${s[1]!.toFixed(2)})`);
  t.equal(s[2], 0);
  t.equal(s[3], 0);
  t.end();
});

t.test('add, set outcomes, retrieve the most similar for a new task, delete', (t) => {
  const store = new MemoryStore(path.join(tmp(), 'sub', 'memory.jsonl'));
  const a = store.add({ source: 'alice', phrase: 'a bit to the left', task: 'put the red block in the bin', skill: 'reach', correction: { type: 'nudge', frame: 'base', dx_m: 0, dy_m: 0.01 } });
  const b = store.add({ source: 'bob', phrase: 'slower', task: 'go home', skill: 'home' });
  store.add({ source: 'carol', phrase: 'higher', task: 'stack the blue block on the green one', skill: 'reach' });
  t.match(a.id, /^m[0-9a-f]{12}$/);
  t.same(a.outcome, { step: null, task: null });
  store.setOutcome([a.id], { step: 'done' });
  store.setOutcome([a.id, b.id], { task: 'failed' });
  t.same(store.list().find((e) => e.id === a.id)!.outcome, { step: 'done', task: 'failed' });
  const hits = store.retrieve('put the green block in the bin');
  t.equal(hits[0]!.entry.id, a.id, 'the pick-and-place correction ranks first');
  t.notOk(hits.some((h) => h.entry.id === b.id), '"go home" is not similar');
  t.ok(store.delete(b.id));
  t.notOk(store.delete(b.id), 'deleting twice: not found');
  t.equal(store.list().length, 2);
  t.end();
});

t.test('asynchronous writes (the planner\'s) are queued in order and never lost to each other', async (t) => {
  const store = new MemoryStore(path.join(tmp(), 'memory.jsonl'));
  const a = store.createEntry({ source: 'alice', phrase: 'left', task: 't', skill: 'reach' });
  const b = store.createEntry({ source: 'bob', phrase: 'slower', task: 't', skill: 'drive_to' });
  t.same(store.list(), [], 'created, not stored yet');
  // Not awaited one by one: each read-modify-write waits for the one before.
  void store.insertAsync(a);
  void store.insertAsync(b);
  void store.setOutcomeAsync([a.id], { step: 'done' });
  void store.setOutcomeAsync([a.id, b.id], { task: 'done' });
  await store.flush();
  t.same(store.list().map((e) => [e.id, e.outcome]), [[a.id, { step: 'done', task: 'done' }], [b.id, { step: null, task: 'done' }]]);
});

t.test('the file is rewritten whole; lines that are not entries are kept, never parsed as entries', (t) => {
  const file = path.join(tmp(), 'memory.jsonl');
  const store = new MemoryStore(file);
  store.add({ source: 'alice', phrase: 'left', task: 't', skill: null });
  appendFileSync(file, '{"id": "hand edit"\n');
  const r = store.read();
  t.equal(r.entries.length, 1);
  t.same(r.bad_lines, [2]);
  store.add({ source: 'bob', phrase: 'right', task: 't', skill: null });
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  t.equal(lines.length, 3);
  t.equal(lines[2], '{"id": "hand edit"', 'the bad line survives the rewrite, at the end');
  t.throws(() => store.add({ source: '', phrase: 'x', task: null, skill: null }), /source/, 'an entry without a source is refused');
  t.end();
});

t.test('import the runtime\'s corrections log once; its source is kept', (t) => {
  const dir = tmp();
  const log = path.join(dir, 'corrections.jsonl');
  const entry = {
    timestamp: '2025-01-01T00:00:00.000Z',
    phrase: 'a bit slower',
    correction: { type: 'speed' as const, factor: 0.75 },
    task: 'put all blocks in the bin',
    skill: 'drive_to',
    source: 'dashboard:alice',
    state: { held_id: null },
  };
  appendCorrection(log, entry);
  appendCorrection(log, { ...entry, timestamp: '2025-01-01T00:00:01.000Z', phrase: 'left', correction: { type: 'nudge', frame: 'base', dx_m: 0, dy_m: 0.02 }, source: undefined });
  const store = new MemoryStore(path.join(dir, 'memory.jsonl'));
  t.same(store.importCorrectionLog(log), { added: 2, bad_lines: [] });
  t.same(store.importCorrectionLog(log), { added: 0, bad_lines: [] }, 'a second import adds nothing');
  t.same(store.list().map((e) => [e.phrase, e.source, e.skill]), [['a bit slower', 'dashboard:alice', 'drive_to'], ['left', 'import:corrections.jsonl', 'drive_to']]);
  t.end();
});

t.test('ganglion memory list / list --task / delete / import', async (t) => {
  const dir = tmp();
  const file = path.join(dir, 'memory.jsonl');
  const store = new MemoryStore(file);
  const a = store.add({ source: 'alice', phrase: 'a bit to the left\nand more', task: 'put the red block in the bin', skill: 'reach' });
  store.add({ source: 'bob', phrase: 'slower', task: 'go home', skill: 'home' });
  const run = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await memoryMain(argv, (s) => (out += s), (s) => (err += s));
    return { code, out, err };
  };
  const list = await run('list', '--file', file);
  t.equal(list.code, 0);
  t.equal(list.out.trim().split('\n').length, 2, 'one line per entry, even with a newline in the phrase');
  t.match(list.out, new RegExp(`${a.id} .* from "alice"  reach  "a bit to the left\\\\nand more"`));
  const similar = await run('list', '--file', file, '--task', 'put the blue block in the bin');
  t.equal(similar.out.trim().split('\n').length, 1);
  t.match(similar.out, /similarity 0\.\d\d/);
  const json = await run('list', '--file', file, '--json');
  t.same(json.out.trim().split('\n').map((l) => JSON.parse(l).source), ['alice', 'bob']);
  t.same(await run('delete', a.id, '--file', file), { code: 0, out: `deleted ${a.id}\n`, err: '' });
  const again = await run('delete', a.id, '--file', file);
  t.equal(again.code, 1);
  t.match(again.err, /no entry/);
  t.equal((await run('delete', '--file', file)).code, 2);
  const log = path.join(dir, 'log.jsonl');
  writeFileSync(log, '');
  appendCorrection(log, { timestamp: 'x', phrase: 'up', correction: { type: 'nudge', frame: 'world', dx_m: 0, dy_m: 0.02 }, task: null, skill: null, state: {} });
  appendFileSync(log, 'torn li');
  const imp = await run('import', log, '--file', file);
  t.match(imp.out, /imported 1 corrections .*lines 2 of the log were not valid/);
  t.equal((await run('frobnicate', '--file', file)).code, 2);
  t.equal((await run('--help')).code, 0);
});
