// A CPU for the loop: the loop thread pinned to one CPU, every other thread of the process (and one started afterwards)
// to the rest while it runs, everything back at stop; each read back from the kernel (/proc), not from our own status.
// Loops of two processes claim different CPUs; the default is a pinned loop on real boards only.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { chooseLoopCpu, claimDir, claimsElsewhere, describeAffinity, parseCpuList, threadCpus } from '../../host/executor/affinity.ts';
import { startLoop } from '../../host/executor/loop.ts';
import { SetpointReader } from '../../host/executor/shared.ts';
import { parseRunArgs } from '../../host/cli/run.ts';
import { loopCpuFor } from '../../host/runtime/start-robot.ts';
import { oneWheel } from './fixtures/one-wheel.ts';

// This file's claims stay apart from other test files' loops, which may run at the same time.
process.env.GANGLION_LOOP_CPU_CLAIMS = mkdtempSync(path.join(tmpdir(), 'ganglion-cpu-claims-'));
t.teardown(() => rmSync(process.env.GANGLION_LOOP_CPU_CLAIMS!, { recursive: true, force: true }));
const HERE = path.dirname(fileURLToPath(import.meta.url));
const mainTid = process.pid;
const all = threadCpus(mainTid);
const threads = () => readdirSync('/proc/self/task').map(Number);

t.test('CPU lists in the kernel format', async (t) => {
  t.same(parseCpuList('0'), [0]);
  t.same(parseCpuList('0-3,6'), [0, 1, 2, 3, 6]);
  t.same(parseCpuList('4,0-1\n'), [0, 1, 4], 'sorted, trailing newline allowed');
  t.throws(() => parseCpuList('3-1'), /runs backwards/);
  t.throws(() => parseCpuList('zero'), /not a CPU list/);
});

t.test('choosing the loop CPU', async (t) => {
  t.same(chooseLoopCpu([0, 1, 2, 3], 'auto'), { cpu: 3, others: [0, 1, 2] }, 'auto: the highest (CPU 0 takes most interrupts)');
  t.same(chooseLoopCpu([0, 1, 2, 3], 1), { cpu: 1, others: [0, 2, 3] });
  t.match(chooseLoopCpu([0], 'auto'), { error: /1 CPU free.*needs two/ }, 'one CPU: nothing left for the rest of the process');
  t.match(chooseLoopCpu([0, 1], 5), { error: /CPU 5 is not one/ });
  const held = new Map([[3, 4242]]);
  t.same(chooseLoopCpu([0, 1, 2, 3], 'auto', held), { cpu: 2, others: [0, 1] }, "auto: the highest no other process's loop holds; the rest stays off both");
  t.match(chooseLoopCpu([0, 1, 2, 3], 3, held), { error: /CPU 3 is held by the loop of pid 4242/ }, 'an explicit CPU another loop holds is refused');
  t.match(chooseLoopCpu([0, 1], 'auto', new Map([[1, 4242]])), { error: /1 CPU free .*held by other processes' loops: CPU 1 by pid 4242.*needs two/ });
});

/** A second Node process with a pinned loop: resolves with its affinity once pinned, and a kill that leaves its claim behind. */
async function otherProcessLoop(): Promise<{ pid: number; cpu: number | null; kill(): Promise<void> }> {
  const code = `
    import { startLoop } from ${JSON.stringify(path.join(HERE, '../../host/executor/loop.ts'))};
    import { oneWheel } from ${JSON.stringify(path.join(HERE, 'fixtures/one-wheel.ts'))};
    const loop = await startLoop(oneWheel({ cpu: 'auto' }));
    console.log(JSON.stringify(loop.affinity));
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (c) => reject(new Error(`the other process exited (${c}) before pinning`)));
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    pid: child.pid!,
    cpu: (JSON.parse(line) as { loop_cpu: number | null }).loop_cpu,
    kill: async () => { child.kill('SIGKILL'); await exited; }, // no chance to release its claim
  };
}

t.test("another process's pinned loop: its CPU is left to it; once that process is gone its stale claim is taken over", async (t) => {
  const other = await otherProcessLoop();
  t.teardown(() => other.kill());
  const top = all[all.length - 1]!;
  t.equal(other.cpu, top, 'the other process pinned its loop on the highest CPU');
  t.same(claimsElsewhere(), new Map([[top, other.pid]]), 'its claim is seen from here');
  const loop = await startLoop(oneWheel({ cpu: 'auto' }));
  if (all.length >= 3) {
    t.equal(loop.affinity!.loop_cpu, all[all.length - 2], 'this loop takes the next CPU down');
    t.notOk(threadCpus(mainTid).includes(top), "this process's other threads stay off the other loop's CPU too");
  } else {
    t.equal(loop.affinity!.loop_cpu, null, 'two CPUs: this loop runs unpinned rather than doubling up');
    t.match(loop.affinity!.error, new RegExp(`held by other processes' loops: CPU ${top} by pid ${other.pid}`));
    t.same(threadCpus(mainTid), all, 'nothing was moved');
  }
  await loop.stop();
  await other.kill();
  t.ok(existsSync(path.join(claimDir(), String(top))), 'the killed process left its claim behind');
  t.same(claimsElsewhere(), new Map(), 'a claim whose process is gone does not count');
  const again = await startLoop(oneWheel({ cpu: 'auto' }));
  t.equal(again.affinity!.loop_cpu, top, `describeAffinity: ${describeAffinity(again.affinity!)}`);
  t.equal(readFileSync(path.join(claimDir(), String(top)), 'utf8').trim(), String(process.pid), 'the stale claim is now this process\'s');
  t.same(threadCpus(again.realtime!.tid), [top]);
  await again.stop();
  t.notOk(existsSync(path.join(claimDir(), String(top))), 'released at stop');
});

t.test('by default a CPU for the loop on real boards only', async (t) => {
  const serial = { kind: 'serial' as const }, emulator = { kind: 'emulator' as const }, posix = { kind: 'posix' as const };
  t.equal(loopCpuFor({}, [serial, serial]), 'auto', 'every node a real board');
  t.equal(loopCpuFor({}, [serial, emulator]), 'none', 'an emulated MCU needs the cores');
  t.equal(loopCpuFor({}, [posix]), 'none', 'the posix firmware shares the machine');
  t.equal(loopCpuFor({}, []), 'none');
  t.equal(loopCpuFor({ rt_priority: 80 }, [serial]), 'none', 'SCHED_FIFO holds without it');
  t.equal(loopCpuFor({ loop_isolation: true }, [serial]), 'none');
  t.equal(loopCpuFor({ loop_cpu: 'none' }, [serial]), 'none', 'asked: none');
  t.equal(loopCpuFor({ loop_cpu: 0 }, [emulator]), 0, 'asked: that CPU');
});

t.test('the loop alone on its CPU, the rest of the process off it, undone at stop', async (t) => {
  t.ok(all.length >= 2, `this machine lets the process use two CPUs or more (${all.join(',')}); with one, pinning is refused (below)`);
  const loop = await startLoop(oneWheel({ cpu: 'auto' }));
  const a = loop.affinity!;
  const cpu = all[all.length - 1]!;
  const others = all.filter((c) => c !== cpu);
  t.equal(a.error, null, `nothing refused (${describeAffinity(a)})`);
  t.equal(a.loop_cpu, cpu);
  t.same(threadCpus(loop.realtime!.tid), [cpu], 'the kernel has the loop thread on its CPU');
  for (const tid of threads().filter((x) => x !== loop.realtime!.tid)) t.same(threadCpus(tid), others, `thread ${tid} is off the loop's CPU`);
  // A thread started while the loop runs inherits the main thread's CPUs.
  const before = threads();
  const w = new Worker('require("node:worker_threads").parentPort.postMessage(0); setInterval(() => {}, 1000)', { eval: true });
  await new Promise((r) => w.once('message', r));
  const started = threads().filter((x) => !before.includes(x));
  t.ok(started.length >= 1, 'the worker is a new thread');
  for (const tid of started) t.same(threadCpus(tid), others, `the new thread ${tid} is off it too`);
  await w.terminate();
  const reader = new SetpointReader(loop.shared);
  let snap = await reader.next(0, 5000);
  while (snap.tick < 5) snap = await reader.next(snap.seq, 5000);
  t.equal(snap.value[0], 1, 'the loop runs its tick, and the main thread is woken for each');
  await loop.stop();
  for (const tid of threads()) t.same(threadCpus(tid), all, `after stop thread ${tid} may use every CPU again`);
});

t.test('a second pinned loop takes another CPU if one is left for the rest of the process; CPUs come back as loops stop', async (t) => {
  const a = await startLoop(oneWheel({ cpu: 'auto' }));
  const b = await startLoop(oneWheel({ cpu: 'auto' }));
  const ca = a.affinity!.loop_cpu!;
  if (all.length >= 3) {
    t.not(b.affinity!.loop_cpu, ca, 'different CPUs');
    t.notOk(threadCpus(mainTid).includes(b.affinity!.loop_cpu!), "the main thread is off the second loop's CPU");
  } else {
    t.equal(b.affinity!.loop_cpu, null, 'two CPUs: the second loop is refused one');
    t.match(b.affinity!.error, /1 CPU free .*needs two/);
  }
  t.notOk(threadCpus(mainTid).includes(ca), "the main thread is still off the first loop's CPU");
  await b.stop();
  t.notOk(threadCpus(mainTid).includes(ca), 'the first loop still runs: its CPU is still held');
  await a.stop();
  t.same(threadCpus(mainTid), all);
});

t.test('a CPU that cannot be had is refused with the reason, and the loop runs on unpinned', async (t) => {
  const loop = await startLoop(oneWheel({ cpu: all.length < 2 ? 'auto' : 4095 }));
  t.teardown(() => loop.stop());
  t.equal(loop.affinity!.loop_cpu, null);
  t.match(loop.affinity!.error, all.length < 2 ? /needs two/ : /CPU 4095 is not one this process may use/);
  t.same(threadCpus(mainTid), all, 'nothing was moved');
  t.same(threadCpus(loop.realtime!.tid), all);
  const reader = new SetpointReader(loop.shared);
  const snap = await reader.next(0, 5000);
  t.ok(snap.tick >= 0, 'the loop runs');
});

t.test('ganglion run --loop-cpu', async (t) => {
  const auto = parseRunArgs(['--loop-cpu', 'auto']), one = parseRunArgs(['--loop-cpu', '1']), off = parseRunArgs([]);
  t.ok(auto !== 'help' && auto.loopCpu === 'auto');
  t.ok(one !== 'help' && one.loopCpu === 1);
  t.ok(off !== 'help' && off.loopCpu === null, 'not given: startRobot decides (loopCpuFor)');
  const none = parseRunArgs(['--loop-cpu', 'none']);
  t.ok(none !== 'help' && none.loopCpu === 'none');
  t.throws(() => parseRunArgs(['--loop-cpu', 'first']), /--loop-cpu first: expected a number/);
});
