// Setup self-check, first in the suite: every tool the suite needs is there, and a missing one is named with its package.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/check-tools.sh');

function check(env: NodeJS.ProcessEnv = process.env) {
  return spawnSync('/bin/bash', [SCRIPT], { encoding: 'utf8', env });
}

t.test('every tool the suite needs is installed on this machine', async (t) => {
  const r = check();
  t.equal(r.status, 0, `run npm run setup; the check said:\n${r.stderr}`);
  t.equal(r.stderr, '', 'nothing reported missing');
});

t.test('a machine without the tools gets one sentence per tool naming its apt package', async (t) => {
  const empty = mkdtempSync(path.join(tmpdir(), 'ganglion-tools-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const r = check({ PATH: empty, TOOL_ROOT: empty, CLANG_RT_DIR: empty });
  t.equal(r.status, 1, 'the check fails');
  const lines = r.stderr.trim().split('\n');
  for (const [tool, pkg] of [
    ['libclang_rt.fuzzer-', 'libclang-rt-14-dev'], ['libclang_rt.asan-', 'libclang-rt-14-dev'], ['/usr/bin/chromium', 'chromium'],
    ['/usr/sbin/mosquitto', 'mosquitto'], ['simavr', 'simavr'], ['socat', 'socat'], ['avr-gcc', 'gcc-avr'],
  ] as const) {
    const line = lines.find((l) => l.startsWith(`check-tools: ${tool}`));
    t.ok(line, `${tool} is reported missing`);
    t.match(line ?? '', `install the apt package ${pkg} `, `${tool}: the sentence names the package ${pkg}`);
  }
});

t.test('a tool that is there is not reported: only the absent ones are', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ganglion-tools-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const socat = path.join(dir, 'socat');
  writeFileSync(socat, '#!/bin/sh\n');
  chmodSync(socat, 0o755);
  // The real runtime dir, found by the real clang (the check's own lookup), and a PATH with only socat on it.
  const real = check({ PATH: dir, TOOL_ROOT: dir, CLANG_RT_DIR: path.join(spawnSync('clang', ['-print-resource-dir'], { encoding: 'utf8' }).stdout.trim(), 'lib/linux') });
  t.equal(real.status, 1, 'still fails: the other tools are absent');
  t.notMatch(real.stderr, /check-tools: socat /, 'socat, present, is not named');
  t.notMatch(real.stderr, /libclang_rt/, 'the fuzzer runtime, present in the real runtime dir, is not named');
  t.match(real.stderr, /check-tools: simavr is missing/, 'simavr, absent from that PATH, is named');
});
