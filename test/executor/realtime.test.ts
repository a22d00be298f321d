// Real-time scheduling of the loop thread: SCHED_FIFO is taken by that thread alone, read back from /proc; a refusal is reported with the fix.
import t from 'tap';
import { startLoop, type Loop } from '../../host/executor/loop.ts';
import { describeRealtime, readScheduling, requestFifo } from '../../host/executor/realtime.ts';
import { currentTid } from '../../host/util/thread.ts';
import { SetpointReader } from '../../host/executor/shared.ts';
import { parseRunArgs } from '../../host/cli/run.ts';
import { oneWheel } from './fixtures/one-wheel.ts';

const mainTid = currentTid();

t.test('the default loop thread runs under normal scheduling, and says so', async (t) => {
  const loop = await startLoop(oneWheel());
  t.teardown(() => loop.stop());
  const r = loop.realtime!;
  t.equal(r.requested, null);
  t.not(r.tid, mainTid, 'the loop has a thread of its own');
  t.equal(r.policy, 'SCHED_OTHER');
  t.same(readScheduling(r.tid), { policy: 'SCHED_OTHER', rt_priority: 0 }, '/proc agrees');
  t.match(describeRealtime(r), /SCHED_OTHER \(no real-time priority asked for; --rt-priority N\)/);
});

t.test('rt_priority puts the loop thread, and only it, under SCHED_FIFO (or reports the refusal with the fix)', async (t) => {
  const o = oneWheel({ rt_priority: 42 });
  const s = o.shared;
  const loop: Loop = await startLoop(o);
  t.teardown(() => loop.stop());
  const r = loop.realtime!;
  t.equal(r.requested, 42);
  if (r.error === null) {
    t.same(readScheduling(r.tid), { policy: 'SCHED_FIFO', rt_priority: 42 }, 'the kernel has the loop thread at FIFO 42');
    t.same(readScheduling(mainTid), { policy: 'SCHED_OTHER', rt_priority: 0 }, 'the main thread keeps normal scheduling');
    t.match(describeRealtime(r), /SCHED_FIFO priority 42/);
  } else {
    t.match(r.error, /rtprio/, 'the refusal says how to allow real-time priorities');
    t.equal(r.policy, 'SCHED_OTHER', 'and the loop runs on, normally scheduled');
  }
  // Either way the loop ticks.
  const reader = new SetpointReader(s);
  let snap = await reader.next(0, 5000);
  while (snap.tick < 5) snap = await reader.next(snap.seq, 5000);
  t.equal(snap.value[0], 1, 'the loop runs its tick');
});

t.test('a refused request: the status carries the cause and the fix; rt_required makes startLoop fail with it', async (t) => {
  // The worker takes its environment from process.env when it starts: without PATH, chrt cannot be found.
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    await t.rejects(
      startLoop(oneWheel({ rt_priority: 42, rt_required: true })),
      /real-time priority NOT set: SCHED_FIFO priority 42 for the loop thread was refused: chrt is not installed.*rtprio 98/,
    );
    const lenient = await startLoop(oneWheel({ rt_priority: 42 }));
    t.teardown(() => lenient.stop());
    t.match(lenient.realtime!.error, /chrt is not installed/, 'without rt_required the loop starts and reports it');
    t.equal(lenient.realtime!.policy, 'SCHED_OTHER');
  } finally {
    process.env.PATH = path;
  }
});

t.test('out-of-range priorities are refused before anything changes', async (t) => {
  for (const p of [0, 99, 1.5]) {
    const r = requestFifo(mainTid, p);
    t.match(r.error, /out of range: use 1\.\.98/, `priority ${p}`);
    t.equal(readScheduling(mainTid).policy, 'SCHED_OTHER');
  }
  await t.rejects(
    startLoop(oneWheel({ rt_priority: 99 })),
    /rt_priority|Too big|less than or equal/i,
    'the loop options refuse 99 too',
  );
  t.throws(() => parseRunArgs(['--rt-priority', '0']), /--rt-priority 0: expected a number from 1 to 98/);
  const a = parseRunArgs(['--rt-priority', '80']);
  t.equal(a !== 'help' && a.rtPriority, 80);
});
