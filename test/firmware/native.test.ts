// Runs the firmware's native unit tests (gcc, posix hal) and its libFuzzer target for a bounded time.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIRMWARE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../firmware');

function make(...args: string[]) {
  return spawnSync('make', ['-C', FIRMWARE, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

t.test('native unit tests of the portable core pass', async (t) => {
  const r = make('test');
  t.equal(r.status, 0, `make test failed:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
});

t.test('the frame parser survives the fuzzer for a bounded time (libFuzzer + ASan + UBSan)', async (t) => {
  const seconds = process.env.GANGLION_FUZZ_SECONDS ?? '20';
  const r = make('fuzz', `FUZZ_SECONDS=${seconds}`);
  t.equal(r.status, 0, `the fuzzer found a problem:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  t.match(r.stdout + r.stderr, /Done \d+ runs/, 'libFuzzer ran to its time limit');
});
