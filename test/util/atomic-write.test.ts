// The one atomic-write helper: content and mode exact, no temp file left, a failed write leaves the old file, concurrent writers never tear it.
import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { staleTempFiles, writeDirAtomic, writeFileAtomic, writeFileAtomicAsync } from '../../host/util/atomic-write.ts';

function dir(t: Test): string {
  const d = mkdtempSync(path.join(tmpdir(), 'ganglion-atomic-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

for (const [name, write] of [
  ['sync', async (f: string, d: string | Uint8Array, mode?: number) => writeFileAtomic(f, d, mode === undefined ? {} : { mode })],
  ['async', (f: string, d: string | Uint8Array, mode?: number) => writeFileAtomicAsync(f, d, mode === undefined ? {} : { mode })],
] as const) {
  t.test(`${name}: writes the bytes, creates the folder, leaves no temp file, sets the mode exactly`, async (t) => {
    const d = dir(t);
    const file = path.join(d, 'sub', 'a.json');
    await write(file, '{"a":1}\n');
    t.equal(readFileSync(file, 'utf8'), '{"a":1}\n');
    t.equal(statSync(file).mode & 0o777, 0o644, 'default mode 0644');
    await write(file, new Uint8Array([0, 255, 10]), 0o600);
    t.same([...readFileSync(file)], [0, 255, 10], 'bytes written as given');
    t.equal(statSync(file).mode & 0o777, 0o600, 'mode 0600, whatever the umask');
    t.same(readdirSync(path.dirname(file)), ['a.json'], 'only the file itself in the folder');
  });

  t.test(`${name}: a write that cannot complete leaves the old file as it was and no temp file`, async (t) => {
    const d = dir(t);
    const file = path.join(d, 'target');
    mkdirSync(file);
    writeFileSync(path.join(file, 'inside'), 'old');
    // A rename onto a non-empty directory fails after the temp file is written and fsynced.
    await t.rejects(Promise.resolve().then(() => write(file, 'new')), /EISDIR|ENOTEMPTY|EEXIST/);
    t.equal(readFileSync(path.join(file, 'inside'), 'utf8'), 'old', 'the old content is intact');
    t.same(staleTempFiles(file), [], 'the temp file was removed');
  });
}

t.test('concurrent async writers: the file is always one whole version, never a mix', async (t) => {
  const file = path.join(dir(t), 'x.txt');
  const versions = Array.from({ length: 20 }, (_, i) => String(i).repeat(50_000));
  const seen = new Set<string>();
  const reads = setInterval(() => {
    try {
      seen.add(readFileSync(file, 'utf8'));
    } catch {
      // not written yet
    }
  }, 0);
  await Promise.all(versions.map((v) => writeFileAtomicAsync(file, v)));
  clearInterval(reads);
  seen.add(readFileSync(file, 'utf8'));
  for (const s of seen) t.ok(versions.includes(s), `a read saw a whole version (${s.length} bytes of '${s[0]}')`);
  t.same(staleTempFiles(file), []);
});

t.test('folder variant: written whole, replaces the old folder, and a failed fill leaves the old folder and no temp folder', async (t) => {
  const d = dir(t);
  const out = path.join(d, 'nested', 'dataset');
  writeDirAtomic(out, (tmp) => {
    mkdirSync(path.join(tmp, 'meta'));
    writeFileSync(path.join(tmp, 'meta', 'info.json'), '{"v":1}');
  });
  t.equal(readFileSync(path.join(out, 'meta', 'info.json'), 'utf8'), '{"v":1}');
  writeDirAtomic(out, (tmp) => writeFileSync(path.join(tmp, 'only.txt'), 'new'));
  t.same(readdirSync(out), ['only.txt'], 'the old folder is replaced, not merged');
  t.throws(() => writeDirAtomic(out, (tmp) => {
    writeFileSync(path.join(tmp, 'half.txt'), 'half');
    throw new Error('disk full');
  }), /disk full/);
  t.same(readdirSync(out), ['only.txt'], 'the old folder is intact');
  t.same(readdirSync(path.dirname(out)), ['dataset'], 'no temp folder left beside it');
});
