// `ganglion run` on a robot whose every node is a real board (a Firmata board on a pty, StandardFirmata in avr8js here):
// by default the executor thread gets a CPU of its own, read back from the child's /proc; `--loop-cpu none` leaves it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parseCpuList } from '../../host/executor/affinity.ts';
import { ROOT } from '../../host/hw/board.ts';
import { bootFirmataNode, FIRMATA_ARM, until } from './boot.ts';
import { boardOnPty } from './pty.ts';

const tsx = createRequire(import.meta.url).resolve('tsx/cli');

/** Each thread of process `pid` with the CPUs the kernel lets it run on. */
function threadCpus(pid: number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const tid of readdirSync(`/proc/${pid}/task`).map(Number)) {
    try {
      const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
      if (m) out.set(tid, parseCpuList(m[1]!));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** `ganglion run --demo idle` on the Firmata arm over a pty, until the runtime is idle; resolves with what it said and its threads. */
async function runIdle(t: Parameters<Parameters<typeof t.test>[1]>[0], extra: string[]) {
  const b = bootFirmataNode();
  t.teardown(() => b.stop());
  const pair = await boardOnPty(t, b);
  const claims = mkdtempSync(path.join(tmpdir(), 'ganglion-cpu-claims-'));
  t.teardown(() => rmSync(claims, { recursive: true, force: true }));
  const host = spawn(process.execPath, [tsx, path.join(ROOT, 'host/cli/main.ts'), 'run', '--robot', FIRMATA_ARM, '--port', `fir=${pair.host}`, '--demo', 'idle', '--no-mqtt', '--report', '1', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GANGLION_LOOP_CPU_CLAIMS: claims },
  });
  const out: string[] = [];
  host.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  host.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
  const exited = new Promise<void>((resolve) => host.once('exit', () => resolve()));
  t.teardown(async () => { host.kill('SIGKILL'); await exited; });
  await until(() => out.join('').includes('runtime idle'), () => `the runtime up and idle (it said: ${out.join('').slice(-2000)})`, 90_000);
  return { said: out.join(''), threads: threadCpus(host.pid!), claims };
}

t.test('every node a real board: the executor thread alone on a CPU by default', async (t) => {
  const all = parseCpuList(readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(\S+)/m)![1]!);
  const { said, threads, claims } = await runIdle(t, []);
  if (all.length < 2) {
    t.match(said, /executor: loop CPU not set \(no CPU for the loop: .*needs two\)/, `one CPU (${cpus().length}): refused, with the reason`);
    return;
  }
  const m = /executor: loop thread alone on CPU (\d+), the rest of the process on ([\d,]+)/.exec(said);
  t.ok(m, `the run says where the loop runs (it said: ${said.slice(-1500)})`);
  const cpu = Number(m![1]);
  t.equal(cpu, all[all.length - 1], 'auto: the highest CPU');
  const alone = [...threads].filter(([, c]) => c.length === 1 && c[0] === cpu);
  t.equal(alone.length, 1, 'the kernel has exactly one thread of the run on that CPU alone');
  for (const [tid, c] of threads) if (!alone.some(([a]) => a === tid)) t.notOk(c.includes(cpu), `thread ${tid} is off it (${c.join(',')})`);
  t.same(readdirSync(claims), [String(cpu)], 'the CPU is claimed for other Ganglion processes to see');
});

t.test('--loop-cpu none: affinity left alone', async (t) => {
  const { said, threads } = await runIdle(t, ['--loop-cpu', 'none']);
  t.notMatch(said, /executor: loop (thread alone|CPU not set)/, 'nothing said about a loop CPU');
  const mine = parseCpuList(readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(\S+)/m)![1]!);
  for (const [tid, c] of threads) t.same(c, mine, `thread ${tid} may use every CPU`);
});

t.teardown(() => setTimeout(() => process.exit(), 50));
