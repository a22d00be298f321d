// Unprivileged loop isolation: the loop thread gets a short slice, the main thread SCHED_BATCH while the loop runs and its
// default back afterwards, the loop stops spinning; each read back from the kernel (/proc), not from our own status.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { describeIsolation, LOOP_SLICE_NS, setNormalSchedule } from '../../host/executor/isolation.ts';
import { startLoop } from '../../host/executor/loop.ts';
import { readScheduling } from '../../host/executor/realtime.ts';
import { SetpointReader } from '../../host/executor/shared.ts';
import { parseRunArgs } from '../../host/cli/run.ts';
import { oneWheel } from './fixtures/one-wheel.ts';

/** [ns] The thread's EEVDF slice as the kernel's scheduler debug file gives it. */
function sliceOf(tid: number): number {
  const m = /^se\.slice\s*:\s*(\d+)/m.exec(readFileSync(`/proc/self/task/${tid}/sched`, 'utf8'));
  if (!m) throw new Error(`no se.slice in /proc/self/task/${tid}/sched`);
  return Number(m[1]);
}

const mainTid = process.pid;
const defaultSlice = sliceOf(mainTid);

t.test('isolation: a short slice for the loop thread, SCHED_BATCH for the main thread, no spin; undone at stop', async (t) => {
  t.same(readScheduling(mainTid), { policy: 'SCHED_OTHER', rt_priority: 0 }, 'before: the main thread is normally scheduled');
  const o = oneWheel({ isolation: true });
  const s = o.shared;
  const loop = await startLoop(o);
  const stats = new Promise<number>((resolve) => loop.once('stats', (m) => resolve(m.spin_margin_us)));
  const iso = loop.isolation!;
  t.equal(iso.error, null, `nothing refused (${describeIsolation(iso)})`);
  t.equal(iso.loop_slice_ns, LOOP_SLICE_NS);
  t.equal(sliceOf(loop.realtime!.tid), LOOP_SLICE_NS, 'the kernel has the short slice on the loop thread');
  t.same(readScheduling(loop.realtime!.tid), { policy: 'SCHED_OTHER', rt_priority: 0 }, 'the loop thread stays in the normal class');
  t.same(readScheduling(mainTid), { policy: 'SCHED_BATCH', rt_priority: 0 }, 'the main thread is SCHED_BATCH while the loop runs');
  t.equal(await stats, 0, 'the loop does not spin');
  const reader = new SetpointReader(s);
  let snap = await reader.next(0, 5000);
  while (snap.tick < 5) snap = await reader.next(snap.seq, 5000);
  t.equal(snap.value[0], 1, 'the loop runs its tick, and the main thread is woken for each');
  await loop.stop();
  t.same(readScheduling(mainTid), { policy: 'SCHED_OTHER', rt_priority: 0 }, 'after stop the main thread is normally scheduled again');
  t.equal(sliceOf(mainTid), defaultSlice, 'with the default slice');
});

t.test('the main thread is released only when the last isolated loop stops', async (t) => {
  const a = await startLoop(oneWheel({ isolation: true }));
  const b = await startLoop(oneWheel({ isolation: true }));
  await a.stop();
  t.equal(readScheduling(mainTid).policy, 'SCHED_BATCH', 'one loop still runs: still batch');
  await b.stop();
  t.equal(readScheduling(mainTid).policy, 'SCHED_OTHER');
});

t.test('a main thread the user already scheduled otherwise is left as it is', async (t) => {
  await setNormalSchedule(mainTid, 'batch', 0);
  t.teardown(() => setNormalSchedule(mainTid, 'other', 0));
  const loop = await startLoop(oneWheel({ isolation: true }));
  t.equal(loop.isolation!.loop_slice_ns, LOOP_SLICE_NS, 'the loop thread still gets its slice');
  await loop.stop();
  t.equal(readScheduling(mainTid).policy, 'SCHED_BATCH', 'not turned into SCHED_OTHER at stop');
});

t.test('with a real-time priority asked for, isolation is not applied', async (t) => {
  const loop = await startLoop(oneWheel({ isolation: true, rt_priority: 42 }));
  t.teardown(() => loop.stop());
  t.equal(loop.isolation, null);
  t.equal(readScheduling(mainTid).policy, 'SCHED_OTHER');
});

t.test('ganglion run --loop-isolation', async (t) => {
  const on = parseRunArgs(['--loop-isolation']), off = parseRunArgs([]);
  t.ok(on !== 'help' && on.loopIsolation, 'the flag turns it on');
  t.ok(off !== 'help' && !off.loopIsolation, 'off by default');
});
