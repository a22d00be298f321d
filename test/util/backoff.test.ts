// The backoff helper: doubles to its cap, resets on success, jitter only shortens, bad options are refused, the sleep ends on abort.
import t from 'tap';
import { Backoff, sleepUnlessAborted } from '../../host/util/backoff.ts';

t.test('waits double per failure up to the cap, and a success resets them', async (t) => {
  const b = new Backoff({ initial_ms: 100, max_ms: 1000 });
  t.same([b.fail(), b.fail(), b.fail(), b.fail(), b.fail(), b.fail()], [100, 200, 400, 800, 1000, 1000]);
  t.equal(b.attempts, 6);
  b.succeed();
  t.equal(b.attempts, 0);
  t.equal(b.fail(), 100, 'back to the first wait');
  t.same([new Backoff({ initial_ms: 10, max_ms: 100, factor: 3 }).fail()], [10]);
  const f3 = new Backoff({ initial_ms: 10, max_ms: 100, factor: 3 });
  t.same([f3.fail(), f3.fail(), f3.fail(), f3.fail()], [10, 30, 90, 100]);
});

t.test('jitter shortens a wait by at most its share, never lengthens it', async (t) => {
  const lo = new Backoff({ initial_ms: 1000, max_ms: 1000, jitter: 0.5, random: () => 0.999 });
  const hi = new Backoff({ initial_ms: 1000, max_ms: 1000, jitter: 0.5, random: () => 0 });
  t.ok(Math.abs(lo.fail() - 500.5) < 1e-6, 'the most jitter: half the wait');
  t.equal(hi.fail(), 1000, 'no jitter drawn: the full wait');
});

t.test('options that would never back off are refused, naming the field', async (t) => {
  t.throws(() => new Backoff({ initial_ms: 0, max_ms: 10 }), /initial_ms/);
  t.throws(() => new Backoff({ initial_ms: 20, max_ms: 10 }), /max_ms/);
  t.throws(() => new Backoff({ initial_ms: 1, max_ms: 10, factor: 0.5 }), /factor/);
  t.throws(() => new Backoff({ initial_ms: 1, max_ms: 10, jitter: 1 }), /jitter/);
});

t.test('the sleep lasts its time, or ends when the signal aborts', async (t) => {
  const t0 = performance.now();
  await sleepUnlessAborted(30);
  t.ok(performance.now() - t0 >= 29, 'slept its 30 ms');
  const ac = new AbortController();
  const t1 = performance.now();
  setTimeout(() => ac.abort(), 10);
  await sleepUnlessAborted(60_000, ac.signal);
  t.ok(performance.now() - t1 < 30_000, 'an abort ends a one-minute sleep');
  await sleepUnlessAborted(60_000, ac.signal);
  t.pass('an already aborted signal returns at once');
});
