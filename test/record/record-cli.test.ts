// `ganglion record` end to end on the emulated robot (posix firmware on a pty): keys through a real pseudo-terminal (script(1)) in raw mode, and one per line without a TTY; the file read back.
import { spawn } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { readRecording } from '../../host/record/reader.ts';
import { parseRecordArgs, progressLine } from '../../host/cli/record.ts';
import { tempFile } from './samples.ts';

const MAIN = new URL('../../host/cli/main.ts', import.meta.url).pathname;
const TSX = path.join(path.dirname(new URL(import.meta.url).pathname), '../../node_modules/.bin/tsx');

/** Runs the command; `script` gives it a pty when tty is set. Each key is sent 0.5 s after the output shows the text before it (so the episode has samples). */
function drive(args: string[], tty: boolean, steps: [string, string][]): Promise<{ code: number | null; out: string }> {
  const cmd = [TSX, MAIN, 'record', ...args];
  const child = tty
    ? spawn('script', ['-qfec', cmd.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] })
    : spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  let seen = 0;
  let k = 0;
  child.stdout.on('data', (d) => {
    out += d;
    while (k < steps.length) {
      const at = out.indexOf(steps[k]![0], seen);
      if (at < 0) break;
      seen = at + steps[k]![0].length;
      const key = steps[k++]![1];
      if (key) setTimeout(() => child.stdin.write(key), 500);
    }
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

const common = (file: string) => ['--task', 'reach the red block', '--episodes', '3', '--episode-time', '30', '--reset-time', '0.3', '--fps', '50', '--firmware', 'posix', '--watchdog-ms', '500', '--out', file];

t.test('in a terminal: right arrow keeps, left arrow re-records, Esc stops', async (t) => {
  const file = tempFile('tty.mcap');
  const r = await drive(common(file), true, [
    ['episode 1/3: recording', '\x1b[C'],
    ['episode 2/3: recording', '\x1b[D'],
    ['episode 2/3: recording', '\x1b'],
  ]);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /episode 2 dropped: it will be recorded again/);
  t.match(r.out, /loop \d+\.\d Hz \(target 50\)/, 'the progress line shows the real rate beside the target');
  t.match(r.out, /wrote .*: 2 episodes/);
  const rec = readRecording(file);
  t.ok(rec.complete);
  t.same(rec.episodes.map((e) => [e.index, e.status, e.task]), [[0, 'kept', 'reach the red block'], [1, 'kept', 'reach the red block']]);
  for (const e of rec.episodes) {
    t.ok(e.frames.length > 0, `episode ${e.index} has frames`);
    t.same(e.frames[0]!.position_rad.length, rec.session.joints.length);
    // Timestamps are when samples were taken: they increase, at about the control rate.
    const dt = e.frames.slice(1).map((f, i) => Number(f.t_ns - e.frames[i]!.t_ns) / 1e6);
    t.ok(dt.every((d) => d > 0), 'strictly increasing');
  }
  t.equal(rec.session.fps, 50);
});

t.test('without a TTY: one key per line; q keeps the episode and stops', async (t) => {
  const file = tempFile('lines.mcap');
  const r = await drive(common(file), false, [['episode 1/3: recording', 'bogus\n'], ['unknown key', 'n\n'], ['episode 2/3: recording', 'q\n']]);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /unknown key "bogus": n \(next\), r \(re-record\), q \(stop\)/);
  const rec = readRecording(file);
  t.same(rec.episodes.map((e) => e.index), [0, 1]);
});

t.test('argument errors name the option', async (t) => {
  t.throws(() => parseRecordArgs([]), /--task "..." is required/);
  t.throws(() => parseRecordArgs(['--task', 'x', '--fps', '5000']), /--fps 5000: expected a number from 10 to 1000/);
  t.throws(() => parseRecordArgs(['--task', 'x', '--args', '{}']), /--args needs --skill/);
  t.throws(() => parseRecordArgs(['--task', 'x', '--skill', 'reach', '--args', '{nope']), /--args: not valid JSON/);
  t.match(progressLine({ kind: 'episode', index: 1, started_ms: 0, ends_ms: 5000 }, { episodes: 4, now_ms: 1500, rate_hz: 49, fps: 50, samples: 10, refused: 1 }),
    'episode 2/4  recording  3.5 s left  loop 49.0 Hz (target 50)  10 samples, 1 refused');
});
