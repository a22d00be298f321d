// A CPU for the loop: the loop thread pinned to one CPU, every other thread of the process (and one started afterwards)
// to the rest while it runs, everything back at stop; each read back from the kernel (/proc), not from our own status.
import { readdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { chooseLoopCpu, describeAffinity, parseCpuList, threadCpus } from '../../host/executor/affinity.ts';
import { startLoop } from '../../host/executor/loop.ts';
import { SetpointReader } from '../../host/executor/shared.ts';
import { parseRunArgs } from '../../host/cli/run.ts';
import { oneWheel } from './fixtures/one-wheel.ts';

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
  t.ok(off !== 'help' && off.loopCpu === null, 'affinity left alone by default');
  t.throws(() => parseRunArgs(['--loop-cpu', 'first']), /--loop-cpu first: expected a number/);
});
