// The hybrid timer's schedule with an injected clock: absolute deadlines, no drift, missed ticks, re-anchoring, stop.
import t from 'tap';
import { runHybridTimer, Schedule, SpinMargin, type TickTiming, type TimerClock } from '../../host/executor/timer.ts';

/** Time advances only when read (readStep per read, so spinning terminates) or slept. */
class FakeClock implements TimerClock {
  t_ns = 1_000_000_000;
  sleeps = 0;
  constructor(
    private readonly readStep_ns = 1_000,
    private readonly oversleep_ns: (sleepIndex: number) => number = () => 0,
  ) {}
  now_ns(): number {
    this.t_ns += this.readStep_ns;
    return this.t_ns;
  }
  sleep_ms(ms: number): boolean {
    this.t_ns += ms * 1e6 + this.oversleep_ns(this.sleeps++);
    return false;
  }
}

function run(clock: FakeClock, ticks: number, rate_hz: number, opts: { spin_margin_us?: number; adaptive_spin?: boolean } = {}, work?: (t: TickTiming) => void) {
  const seen: TickTiming[] = [];
  const sched = runHybridTimer({ rate_hz, ...opts }, clock, (timing) => {
    seen.push({ ...timing });
    work?.(timing);
    return seen.length < ticks;
  });
  return { seen, sched };
}

t.test('Schedule: deadlines are anchor + k*period', (t) => {
  const s = new Schedule(2_000_000, 10);
  const d: number[] = [];
  for (let k = 0; k < 4; k++) {
    d.push(s.deadline_ns);
    t.equal(s.arrive(s.deadline_ns + 500), 500);
    s.advance();
  }
  t.same(d, [10, 2_000_010, 4_000_010, 6_000_010]);
  t.equal(s.missed, 0);
  t.throws(() => new Schedule(0, 0), /positive/);
  t.end();
});

t.test('Schedule: late by more than a period counts the skipped deadlines and re-anchors at now', (t) => {
  const s = new Schedule(1_000_000, 0);
  s.arrive(0);
  s.advance(); // deadline 1 ms
  t.equal(s.arrive(4_500_000), 3_500_000);
  t.equal(s.skipped, 3, 'deadlines 2, 3 and 4 ms passed');
  t.equal(s.missed, 3);
  t.equal(s.reanchors, 1);
  s.advance();
  t.equal(s.deadline_ns, 5_500_000, 'next deadline is one period after the late tick, not a burst of catch-up ticks');
  t.end();
});

t.test('Schedule: late by less than a period stays on the grid', (t) => {
  const s = new Schedule(1_000_000, 0);
  s.arrive(900_000);
  t.equal(s.skipped, 0);
  s.advance();
  t.equal(s.deadline_ns, 1_000_000);
  t.end();
});

t.test('no drift: every tick starts at start + k*period despite oversleep and tick work', (t) => {
  // Oversleep 150 us (inside the 200 us margin) and 300 us of work per tick: neither moves the grid.
  const clock = new FakeClock(1_000, () => 150_000);
  const { seen, sched } = run(clock, 5000, 1000, { spin_margin_us: 200, adaptive_spin: false }, () => (clock.t_ns += 300_000));
  const first = seen[0]!.deadline_ns;
  const offGrid = seen.filter((s, k) => s.deadline_ns !== first + k * 1_000_000);
  t.equal(offGrid.length, 0, 'deadline k is exactly first + k * 1 ms');
  t.ok(seen.every((s) => s.late_ns >= 0 && s.late_ns <= 2_000), 'each tick starts within two clock reads of its deadline');
  t.equal(sched.missed, 0);
  t.equal(seen.at(-1)!.index, 4999);
  t.end();
});

t.test('oversleep beyond the margin makes ticks late but does not accumulate', (t) => {
  const clock = new FakeClock(1_000, () => 400_000);
  const { seen } = run(clock, 1000, 500, { spin_margin_us: 200, adaptive_spin: false });
  const lates = seen.map((s) => s.late_ns);
  t.ok(Math.max(...lates) <= 201_000, 'late by oversleep - margin at most');
  t.equal(lates.at(-1), lates[10], 'lateness is constant, not growing');
  t.equal(seen.at(-1)!.deadline_ns - seen[0]!.deadline_ns, 999 * 2_000_000);
  t.end();
});

t.test('a long stall: missed ticks are counted, the loop re-anchors and does not burst', (t) => {
  const clock = new FakeClock();
  const { seen, sched } = run(clock, 200, 1000, { adaptive_spin: false }, (timing) => {
    if (timing.index === 100) clock.t_ns += 5_500_000; // the tick (or a preemption) took 5.5 periods
  });
  const late = seen[101]!;
  t.equal(late.skipped, 4, 'deadlines passed during the stall, beyond the one the late tick serves');
  t.equal(sched.missed, 4);
  t.equal(sched.reanchors, 1);
  const next = seen[102]!;
  t.equal(next.deadline_ns, late.start_ns + 1_000_000, 're-anchored one period after the late tick');
  t.ok(seen.slice(102).every((s, k) => s.deadline_ns === late.start_ns + (k + 1) * 1_000_000), 'then on the new grid');
  t.ok(seen.slice(102).every((s) => s.skipped === 0 && s.late_ns <= 2_000));
  t.end();
});

t.test('adaptive margin grows to cover the wake-up latency, and ticks become punctual', (t) => {
  const clock = new FakeClock(1_000, (i) => (i % 10 === 0 ? 300_000 : 250_000));
  const { seen } = run(clock, 3000, 500, { spin_margin_us: 100, adaptive_spin: true });
  t.ok(seen[0]!.late_ns > 100_000, 'starts late: 100 us margin against 250 us wake-ups');
  t.ok(seen.slice(-1000).every((s) => s.late_ns <= 2_000), 'late ticks are gone after adapting');
  const margin = seen.at(-1)!.spin_margin_ns;
  t.ok(margin >= 250_000 && margin <= 400_000, `margin settled near the wake-up latency (${margin} ns)`);
  t.end();
});

t.test('SpinMargin: fixed when not adaptive; adaptive, it spins through late wake-ups up to the cap and not past it', (t) => {
  const fixed = new SpinMargin(200_000, false, 1_000_000);
  fixed.observe(900_000);
  t.equal(fixed.value_ns, 200_000);
  const under = new SpinMargin(200_000, true, 500_000);
  for (let i = 0; i < 10_000; i++) under.observe(400_000);
  t.ok(under.value_ns > 400_000 && under.value_ns <= 500_000, `wake-ups 400 us late: spins 400-500 us (${under.value_ns} ns)`);
  const preempted = new SpinMargin(200_000, true, 500_000);
  for (let i = 0; i < 10_000; i++) preempted.observe(5_000_000); // preemptions: spinning cannot fix them
  t.equal(preempted.value_ns, 20_000, 'wake-ups later than the cap: back to the minimum, no CPU burnt for nothing');
  const quiet = new SpinMargin(400_000, true, 1_000_000);
  for (let i = 0; i < 100_000; i++) quiet.observe(10_000);
  t.ok(quiet.value_ns <= 70_000, `decays toward quiet wake-ups (${quiet.value_ns} ns)`);
  // Rare late wake-ups (0.7 %, as the VM's 512 ms bursts) still set the margin: a late tick spoils two period errors.
  const bursty = new SpinMargin(100_000, true, 500_000);
  for (let i = 0; i < 200_000; i++) bursty.observe(i % 150 === 0 ? 300_000 : 20_000);
  t.ok(bursty.value_ns >= 300_000, `covers wake-ups 1 in 150 late (${bursty.value_ns} ns)`);
  t.end();
});

t.test('a stop during sleep ends the timer without another tick', (t) => {
  let ticks = 0;
  const clock: TimerClock = { now_ns: (() => { let x = 0; return () => (x += 1000); })(), sleep_ms: () => ticks >= 3 };
  runHybridTimer({ rate_hz: 500 }, clock, () => (++ticks, true));
  t.equal(ticks, 3);
  t.end();
});
