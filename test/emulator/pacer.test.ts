// The real-time pacer on a fake node: emulated time follows the wall clock and never passes it; kick() runs a turn at once instead of at the next timer.
import t from 'tap';
import { RealtimePacer, type Paceable } from '../../host/emulator/pacer.ts';
import { monoNow_ns } from '../../host/util/mono-clock.ts';

/** A node that "runs" by moving its cycle counter, and remembers when it was asked to. */
function fakeNode(clock_hz = 16_000_000) {
  const node = {
    cycles: 0,
    clock_hz,
    runs: 0,
    runUntilCycles(target: number) {
      node.runs++;
      node.cycles = target;
    },
  };
  return node satisfies Paceable & { runs: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const immediate = () => new Promise((r) => setImmediate(r));

t.test('emulated time tracks the wall clock and never runs ahead of it', async (t) => {
  const node = fakeNode();
  const pacer = new RealtimePacer(node, { chunk_ms: 5 });
  const t0 = performance.now();
  pacer.start();
  await sleep(50);
  const wall_ms = performance.now() - t0;
  pacer.stop();
  const emulated_ms = (node.cycles * 1000) / node.clock_hz;
  t.ok(emulated_ms <= wall_ms, `emulated ${emulated_ms.toFixed(2)} ms <= wall ${wall_ms.toFixed(2)} ms`);
  t.ok(emulated_ms > wall_ms - 20, 'and keeps up with it');
});

t.test('kick() runs a turn at once; without it the next turn waits for the 1 ms timer', async (t) => {
  // Checks are armed from inside a turn (afterTurn), once the pacer is on time: it then sleeps on a 1 ms timer, which
  // cannot fire before a setImmediate queued in this turn of the event loop.
  const node = fakeNode();
  let arm: ((afterTurnRuns: number) => void) | null = null;
  // A chunk far above any host stall: every turn catches up fully, so the pacer is never "behind" (which would
  // schedule the next turn at once, kick or not).
  const pacer = new RealtimePacer(node, { chunk_ms: 10_000, lag_limit_ms: 10_000, afterTurn: () => { const a = arm; arm = null; a?.(node.runs); } });
  pacer.start();
  t.teardown(() => pacer.stop());
  await sleep(20);
  const check = (kick: boolean) =>
    new Promise<boolean>((resolve) => {
      arm = (runs) =>
        queueMicrotask(() => {
          // The turn is over and its timer set: busy-wait so the wall clock moves on, then (maybe) kick.
          const s = performance.now();
          while (performance.now() - s < 0.05);
          if (kick) pacer.kick();
          setImmediate(() => resolve(node.runs > runs));
        });
    });
  const withKick: boolean[] = [];
  const without: boolean[] = [];
  for (let i = 0; i < 10; i++) {
    withKick.push(await check(true));
    without.push(await check(false));
  }
  t.same(withKick, Array(10).fill(true), 'after a kick, a turn ran before anything else queued after it');
  t.same(without, Array(10).fill(false), 'without one, no turn ran until the timer');
});

t.test('while the node reports serial I/O, turns follow each other at once; quiet, they wait for the 1 ms timer', async (t) => {
  // The same check as above, armed from inside an on-time turn: does another turn run before a setImmediate queued
  // right after it? Only if the pacer chose setImmediate over its 1 ms timer, which it does while ioActive() says so.
  const node = { ...fakeNode(), io: false, ioActive: () => node.io };
  node.runUntilCycles = (target: number) => { node.runs++; node.cycles = target; };
  let arm: ((runs: number) => void) | null = null;
  const pacer = new RealtimePacer(node, { chunk_ms: 10_000, lag_limit_ms: 10_000, afterTurn: () => { const a = arm; arm = null; a?.(node.runs); } });
  const t0 = performance.now();
  pacer.start();
  t.teardown(() => pacer.stop());
  await sleep(20);
  // A turn that ran later than 1 ms after the arming proves nothing for the quiet case (a loaded machine may stretch
  // an event-loop pass past 1 ms and let the timer fire), so only quicker ones count there.
  const check = (io: boolean) =>
    new Promise<{ ran: boolean; quick: boolean }>((resolve) => {
      node.io = io;
      arm = (runs) => {
        const at = performance.now();
        setImmediate(() => setImmediate(() => resolve({ ran: node.runs > runs, quick: performance.now() - at < 1 })));
      };
    });
  const busy: boolean[] = [];
  const quiet: boolean[] = [];
  for (let i = 0; i < 10; i++) {
    busy.push((await check(true)).ran);
    const q = await check(false);
    quiet.push(q.ran && q.quick);
  }
  t.same(busy, Array(10).fill(true), 'bytes on the line: the next turn ran right after this one');
  // A pacer behind the wall clock also turns at once (that is its catch-up path), and on a loaded machine a turn can
  // leave it behind; so a pacer that ignored ioActive() shows 10 of 10 here, and a loaded one at most a few.
  t.ok(quiet.filter(Boolean).length <= 3, `quiet: no turn until the timer (${quiet.filter(Boolean).length}/10 ran at once)`);
  t.ok((node.cycles * 1000) / node.clock_hz <= performance.now() - t0, 'emulated time still never passes the wall clock');
});

t.test('kick() on a stopped pacer does nothing', async (t) => {
  const node = fakeNode();
  const pacer = new RealtimePacer(node);
  pacer.kick();
  await immediate();
  t.equal(node.runs, 0);
});

t.test('cycleAt and monoAt_ns map the monotonic clock to emulated cycles and back; a cycle keeps its instant across a dropped lag', async (t) => {
  const node = { ...fakeNode(), stalled: false, skippedCycles: 0 };
  node.runUntilCycles = (target: number) => { if (!node.stalled) node.cycles = target; };
  (node as Paceable).skipped = (cycles: number) => { node.skippedCycles += cycles; };
  const ns_per_cycle = 1e9 / node.clock_hz;
  const pacer = new RealtimePacer(node, { chunk_ms: 10_000, lag_limit_ms: 5 });
  t.equal(pacer.cycleAt(monoNow_ns()), node.cycles, 'not pacing yet: now is where the node is');
  pacer.start();
  t.teardown(() => pacer.stop());
  await sleep(10);
  const now = monoNow_ns();
  const c = pacer.cycleAt(now);
  t.ok(c >= node.cycles, 'a host write now is due at or after what the emulator has run');
  t.ok(Math.abs(pacer.monoAt_ns(c) - now) <= ns_per_cycle, 'monoAt_ns undoes cycleAt (to a cycle)');
  const ranA = node.cycles;
  const instantA = pacer.monoAt_ns(ranA);
  const droppedA = pacer.stats.dropped_ms; // a loaded machine may already have stalled this event loop past 5 ms
  t.ok(instantA <= monoNow_ns(), 'a cycle that ran stands for a moment that has passed');

  node.stalled = true; // the emulator gets no CPU: past 5 ms the lag is dropped
  await sleep(40);
  t.ok(pacer.stats.dropped_ms > 20, `dropped ${pacer.stats.dropped_ms.toFixed(1)} ms of lag`);
  t.ok(Math.abs((node.skippedCycles * 1000) / node.clock_hz - pacer.stats.dropped_ms) < 1e-6, 'and told the node, which moves the host bytes it holds');
  // Each turn drops what is beyond the limit, so the stalled node trails the turn's target by exactly the limit: bytes
  // written then are due at most that far ahead of it (a wall-clock reading here would count this thread's preemptions).
  t.ok(Math.abs(pacer.stats.lag_ms - 5) < 1e-6, `after each turn the stalled emulator trails by the lag limit (${pacer.stats.lag_ms.toFixed(3)} ms)`);
  node.stalled = false;
  await sleep(10);
  t.equal(pacer.monoAt_ns(ranA), instantA, 'a cycle run before the drop keeps the instant it stood for');
  const ranB = node.cycles;
  const gap_ms = (pacer.monoAt_ns(ranB) - instantA) / 1e6;
  const emulated_ms = ((ranB - ranA) * 1000) / node.clock_hz;
  const dropped_ms = pacer.stats.dropped_ms - droppedA;
  t.ok(Math.abs(gap_ms - emulated_ms - dropped_ms) < 1e-6, `a later cycle is later by its emulated time plus the lag dropped since (${gap_ms.toFixed(2)} = ${emulated_ms.toFixed(2)} + ${dropped_ms.toFixed(2)} ms)`);
  t.ok(pacer.monoAt_ns(ranB) <= monoNow_ns(), 'and still never stands for a moment to come');
});
