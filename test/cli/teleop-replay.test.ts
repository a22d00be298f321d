// `ganglion teleop` and `ganglion replay` as a user runs them: the CLI process on the emulated robot, keys through a real terminal (script(1) gives it a pty), the scripted person on the leader, a recording re-executed with its tracking error.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeWaveRecording } from '../record/samples.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/ganglion.js');
const ganglion = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(path.join(tmpdir(), 'ganglion-cli-teleop-'));

/** "teleop ended: joints [rad] wheel_left 0.000, ..., shoulder 0.512, ...": the joint readings the CLI printed last. */
function endJoints(out: string): Record<string, number> {
  const m = /teleop ended: joints \[rad\] ([^;]*);/.exec(out);
  if (!m) return {};
  return Object.fromEntries(m[1]!.split(', ').map((p) => p.split(' ')).map(([j, v]) => [j!, Number(v)]));
}

t.test('teleop --source keyboard: refused without a terminal, in one sentence', async (t) => {
  const r = spawnSync(process.execPath, [BIN, 'teleop', '--source', 'keyboard', '--seconds', '1'], { cwd: ROOT, encoding: 'utf8', input: '', timeout: 60_000 });
  t.not(r.status, 0);
  t.match(r.stderr, /needs a terminal on stdin \(ssh -t/);
});

t.test('teleop --source keyboard in a terminal: a held key moves the shoulder, q quits', async (t) => {
  // script(1) runs the CLI on a pseudo-terminal, as an SSH session with -t does: raw mode and key repeats are real.
  const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} teleop --source keyboard --seconds 120`;
  const p = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
  const deadline = Date.now() + 180_000;
  while (!/keys: /.test(out) && Date.now() < deadline) await sleep(200);
  t.match(out, /keys: .*i shoulder \+/, 'the key list is shown once the robot is up');
  // Step 5 (full speed), then 'i' as a terminal repeats a held key: every ~33 ms for 2 s.
  p.stdin.write('5');
  for (let i = 0; i < 60; i++) {
    p.stdin.write('i');
    await sleep(33);
  }
  await sleep(1000);
  p.stdin.write('q');
  const code = await Promise.race([exited, sleep(60_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') p.kill('SIGKILL');
  t.equal(code, 0, `exit 0 on q\n${out.slice(-800)}`);
  const j = endJoints(out);
  t.ok(j.shoulder! > 0.3, `i held ~2 s at full speed (1 rad/s): shoulder at ${j.shoulder} rad (from 0)`);
});

t.test('teleop --source leader --scripted 1: the scripted person reaches the drawn goal through the leader pots', async (t) => {
  const r = ganglion('teleop', '--source', 'leader', '--scripted', '1', '--seed', '3', '--calibration-dir', dir);
  t.equal(r.status, 0, r.stderr.slice(-800));
  const m = /episode 1\/1: reach .* = shoulder (-?[\d.]+) elbow (-?[\d.]+) rad, reached (-?[\d.]+) (-?[\d.]+) in [\d.]+ s(.*)/.exec(r.stdout);
  t.ok(m, `an episode line:\n${r.stdout.slice(-600)}`);
  if (!m) return;
  const [goalS, goalE, gotS, gotE] = m.slice(1, 5).map(Number) as [number, number, number, number];
  t.notMatch(m[5]!, /timed out/, 'reached before its timeout');
  t.ok(Math.abs(gotS - goalS) < 0.1 && Math.abs(gotE - goalE) < 0.1, `follower at (${gotS}, ${gotE}) rad for a goal at (${goalS}, ${goalE})`);
  t.match(r.stderr + r.stdout, /calibrat/i, 'the missing leader calibration was swept first, and said so');
});

t.test('replay FILE --episode K: re-executes through the envelope and prints the tracking error; bad input is named', async (t) => {
  const file = path.join(dir, 'wave.mcap');
  writeWaveRecording(file);
  const rms = (out: string) => Number(/shoulder\s+rms ([\d.]+) rad/.exec(out)?.[1] ?? NaN);

  const good = ganglion('replay', file, '--episode', '0', '--firmware', 'posix', '--settle', '1.5', '--watchdog-ms', '500');
  t.equal(good.status, 0, good.stderr.slice(-800));
  t.match(good.stdout, /sent 100 actions/);
  t.ok(rms(good.stdout) < 0.05, `episode 0 tracks its recording: shoulder rms ${rms(good.stdout)} rad`);

  const stuck = ganglion('replay', file, '--episode', '1', '--firmware', 'posix', '--settle', '1.5', '--watchdog-ms', '500');
  t.equal(stuck.status, 0, stuck.stderr.slice(-800));
  t.ok(rms(stuck.stdout) > 0.05, `episode 1's observation never moved: the error shows (shoulder rms ${rms(stuck.stdout)} rad)`);

  const missing = ganglion('replay', file);
  t.equal(missing.status, 2);
  t.match(missing.stderr, /--episode K is required.*0 \(100 frames\), 1 \(100 frames\)/, 'without --episode it lists the episodes');

  const junk = path.join(dir, 'junk.mcap');
  writeFileSync(junk, 'this is not a recording');
  const bad = ganglion('replay', junk, '--episode', '0');
  t.not(bad.status, 0);
  t.match(bad.stderr, /junk\.mcap/, 'a file that is not a recording is refused, named');
});
