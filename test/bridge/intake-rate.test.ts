// The bridge's intake bound: a token bucket that passes a short burst, then the sustained rate, and refills with time.
import t from 'tap';
import { IntakeRate, MAX_COMMANDS_PER_S } from '../../host/bridge/intake-rate.ts';

t.test('a burst of a quarter second, then the rate', async (t) => {
  const r = new IntakeRate(1000);
  t.equal(r.burst, 250);
  let passed = 0;
  for (let i = 0; i < 1000; i++) if (r.take(0)) passed++;
  t.equal(passed, 250, 'at one instant: the burst only');
  t.equal(r.take(0.5), false, 'half a token after 0.5 ms: still shed');
  passed = 0;
  for (let ms = 1; ms <= 1000; ms++) if (r.take(ms)) passed++;
  t.equal(passed, 1000, 'one per millisecond at 1000/s');
  t.equal(r.take(5000), true, 'after a quiet spell it refills');
  passed = 1;
  for (let i = 0; i < 1000; i++) if (r.take(5000)) passed++;
  t.equal(passed, 250, 'but never past the burst');
  t.equal(new IntakeRate().rate_per_s, MAX_COMMANDS_PER_S);
  t.throws(() => new IntakeRate(0), /max_commands_per_s 0: expected a positive rate/);
});
