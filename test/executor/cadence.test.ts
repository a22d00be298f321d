// Cadence statistics math on synthetic tick times, and the histogram they rest on.
import t from 'tap';
import fc from 'fast-check';
import { CadenceStats, formatCadence } from '../../host/executor/cadence.ts';
import { bucketHigh_ns, bucketLow_ns, bucketOf, HISTOGRAM_BUCKETS, LogHistogram } from '../../host/executor/histogram.ts';

t.test('histogram buckets contain their values and are at most 1/32 wide', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 40 - 1 }), (v) => {
      const b = bucketOf(v);
      return b >= 0 && b < HISTOGRAM_BUCKETS && bucketLow_ns(b) <= v && v <= bucketHigh_ns(b) && bucketHigh_ns(b) - bucketLow_ns(b) <= Math.max(0, v / 32);
    }),
  );
  t.equal(bucketOf(63), 63, 'below 64 ns each value has its own bucket');
  t.equal(bucketOf(64), 64);
  t.equal(bucketOf(-5), 0, 'negatives count as zero');
  t.equal(bucketOf(NaN), 0);
  t.equal(bucketOf(1e18), HISTOGRAM_BUCKETS - 1, 'huge values land in the last bucket');
  t.end();
});

t.test('histogram percentiles, removal', (t) => {
  const h = new LogHistogram();
  t.ok(Number.isNaN(h.percentile_ns(50)));
  for (let v = 1; v <= 50; v++) h.add(v);
  t.equal(h.percentile_ns(50), 25);
  t.equal(h.percentile_ns(100), 50);
  h.add(1_000_000);
  const p100 = h.percentile_ns(100);
  t.ok(p100 >= 1_000_000 && p100 <= 1_000_000 * (1 + 1 / 32), 'upper edge of the bucket, never below the value');
  h.remove(1_000_000);
  t.equal(h.percentile_ns(100), 50);
  h.remove(12345); // never added: ignored
  t.equal(h.total, 50);
  h.clear();
  t.equal(h.total, 0);
  t.end();
});

/** Feeds ticks at 1 kHz whose periods are given, starting at t = 0. */
function feed(c: CadenceStats, periods_ns: number[], duration_ns: (k: number) => number = () => 10_000): void {
  let s = 0;
  c.record(s, duration_ns(0));
  periods_ns.forEach((p, k) => c.record((s += p), duration_ns(k + 1)));
}

t.test('period error, achieved rate, over budget', (t) => {
  const c = new CadenceStats({ target_hz: 1000, window_ticks: 1000 });
  // 199 periods: 194 exact, 4 late by 40 us, 1 by 120 us (nearest-rank p99 is the 198th: 40 us).
  const periods = Array.from({ length: 199 }, (_, k) => (k < 4 ? 1_040_000 : k === 4 ? 1_120_000 : 1_000_000));
  feed(c, periods, (k) => (k === 50 || k === 60 ? 1_500_000 : 20_000));
  const s = c.snapshot();
  t.equal(s.ticks, 200);
  t.equal(s.ticks_total, 200);
  const span_ns = periods.reduce((a, b) => a + b, 0);
  t.equal(s.achieved_hz, (199 * 1e9) / span_ns);
  t.equal(s.over_budget, 2, 'two ticks took longer than the 1 ms period');
  t.equal(s.period_error_p50_us, 0);
  t.ok(s.period_error_p99_us >= 40 && s.period_error_p99_us <= 40 * (1 + 1 / 32), `p99 near 40 us (${s.period_error_p99_us})`);
  t.equal(s.period_error_max_us, 120, 'max is exact');
  t.ok(s.tick_p50_us >= 20 && s.tick_p50_us <= 20 * (1 + 1 / 32));
  t.equal(s.tick_max_us, 1500);
  t.equal(s.missed, 0);
  t.end();
});

t.test('the window forgets old ticks; missed ticks are counted in and out of it', (t) => {
  const c = new CadenceStats({ target_hz: 1000, window_ticks: 100 });
  let s = 0;
  for (let k = 0; k < 100; k++) c.record((s += 1_500_000), 2_000_000); // bad: 500 us error, over budget
  c.addMissed(3);
  c.record((s += 4_000_000), 10_000);
  t.equal(c.snapshot().missed, 3);
  for (let k = 0; k < 100; k++) c.record((s += 1_000_000), 10_000); // good
  const snap = c.snapshot();
  t.equal(snap.ticks, 100);
  t.equal(snap.ticks_total, 201);
  t.equal(snap.over_budget, 0, 'the over-budget ticks left the window');
  t.equal(snap.period_error_max_us, 0);
  t.equal(snap.missed, 0, 'the missed ticks left the window');
  t.equal(snap.missed_total, 3);
  t.equal(snap.achieved_hz, 1000);
  t.end();
});

t.test('format: one LeRobot-style line', (t) => {
  const line = formatCadence({
    target_hz: 500, achieved_hz: 499.81, ticks: 2500, ticks_total: 9000, over_budget: 3, missed: 1, missed_total: 2,
    period_error_p50_us: 4.2, period_error_p99_us: 38.4, period_error_max_us: 120.2, tick_p50_us: 10, tick_p99_us: 45.1, tick_max_us: 60,
  });
  t.equal(line, '499.8 Hz vs 500 Hz target, 3/2500 ticks over budget, period error p50 4 us p99 38 us max 120 us, tick p99 45 us, 1 missed');
  const empty = new CadenceStats({ target_hz: 30 });
  t.match(empty.format(), /^- Hz vs 30 Hz target, 0\/0 ticks over budget, period error p50 - us/);
  t.throws(() => new CadenceStats({ target_hz: 0 }), /positive/);
  t.end();
});
