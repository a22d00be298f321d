// The lock file beside a data file: writers in several processes take turns and lose nothing; a crashed holder's lock is broken; a live one times out with a clear error.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { MemoryStore } from '../../host/planner/memory.ts';
import { withFileLock, withFileLockSync } from '../../host/util/file-lock.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = () => mkdtempSync(path.join(tmpdir(), 'ganglion-lock-'));

/** A separate Node process adding `n` memory entries, alternating the CLI's synchronous and the planner's queued writes. */
function writer(file: string, name: string, n: number): Promise<number> {
  const code = `
    import { MemoryStore } from ${JSON.stringify(path.join(ROOT, 'host/planner/memory.ts'))};
    const s = new MemoryStore(${JSON.stringify(file)});
    for (let i = 0; i < ${n}; i++) {
      const e = { source: ${JSON.stringify(name)}, phrase: 'left ' + i, task: 'task ' + i, skill: 'reach' };
      if (i % 2) s.add(e); else await s.insertAsync(s.createEntry(e));
    }
    await s.flush();`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
}

t.test('three processes writing the same memory file at once lose no entry', async (t) => {
  const file = path.join(tmp(), 'memory.jsonl');
  const codes = await Promise.all(['a', 'b', 'c'].map((w) => writer(file, w, 40)));
  t.same(codes, [0, 0, 0]);
  const entries = new MemoryStore(file).list();
  t.equal(entries.length, 120, 'every entry of every writer is there');
  for (const w of ['a', 'b', 'c']) t.equal(entries.filter((e) => e.source === w).length, 40, `all 40 of ${w}`);
  t.notOk(existsSync(`${file}.lock`), 'the lock is gone afterwards');
});

t.test("a crashed holder's lock is broken; a live holder's lock times out naming it and the fix", async (t) => {
  const dir = tmp();
  const file = path.join(dir, 'data.jsonl');
  // pid 2^22 + 1 is above Linux's pid_max limit: no process can have it.
  writeFileSync(`${file}.lock`, `${2 ** 22 + 1} ${Date.now()}\n`);
  t.equal(withFileLockSync(file, () => 'ran'), 'ran', 'sync: the dead holder was ignored');
  writeFileSync(`${file}.lock`, `${2 ** 22 + 1} ${Date.now()}\n`);
  t.equal(await withFileLock(file, async () => 'ran'), 'ran', 'async: likewise');
  writeFileSync(`${file}.lock`, `${process.ppid} ${Date.now() - 120_000}\n`);
  t.equal(withFileLockSync(file, () => 'ran'), 'ran', 'a lock older than stale_ms is broken even if its pid lives');

  writeFileSync(`${file}.lock`, `${process.ppid} ${Date.now()}\n`);
  t.throws(() => withFileLockSync(file, () => 'never', { timeout_ms: 150 }), new RegExp(`locked by process ${process.ppid} .*delete .*data\\.jsonl\\.lock`));
  await t.rejects(withFileLock(file, async () => 'never', { timeout_ms: 150 }), /locked by process/);
  t.ok(existsSync(`${file}.lock`), "a live holder's lock is left alone");
});

t.test('the lock is released when the work throws', async (t) => {
  const file = path.join(tmp(), 'data.jsonl');
  t.throws(() => withFileLockSync(file, () => { throw new Error('boom'); }), /boom/);
  t.notOk(existsSync(`${file}.lock`));
  await t.rejects(withFileLock(file, async () => { throw new Error('boom'); }), /boom/);
  t.notOk(existsSync(`${file}.lock`));
});
