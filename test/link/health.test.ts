// Link health: every change is reported, but a link that flaps logs at most one degradation per quiet period.
import t from 'tap';
import { LinkHealth, LOG_QUIET_MS } from '../../host/link/health.ts';

const slow = { oldestUnackedMs: 80, watchdogTripped: false };
const prompt = { oldestUnackedMs: 0, watchdogTripped: false };

t.test('a flapping link reports every change and logs one line pair per quiet period, counting the rest', (t) => {
  const log: string[] = [];
  const h = new LinkHealth(100, 'p', (l) => log.push(l));
  let reported = 0;
  // 50 short degradations, one every 500 ms: 25 s of flapping.
  for (let i = 0; i < 50; i++) {
    const at = i * 500;
    if (h.check(slow, at) !== null) reported++;
    if (h.check(prompt, at + 100) !== null) reported++;
  }
  t.equal(reported, 100, 'each degradation and recovery is still a change for the session');
  t.equal(h.degradations, 50);
  const degraded = log.filter((l) => l.includes('DEGRADED'));
  t.equal(degraded.length, Math.ceil(25_000 / LOG_QUIET_MS), `one DEGRADED line per ${LOG_QUIET_MS} ms: ${degraded.length}`);
  t.equal(log.filter((l) => l.includes('healthy again')).length, degraded.length, 'a recovery is logged only for a logged degradation');
  t.match(degraded[1]!, /and 19 shorter degradation\(s\) before, not logged/, 'the next line counts what was not logged');
  t.end();
});

t.test('a degradation after a quiet period is logged at once', (t) => {
  const log: string[] = [];
  const h = new LinkHealth(100, 'p', (l) => log.push(l));
  h.check(slow, 0);
  h.check(prompt, 10);
  h.check({ oldestUnackedMs: 0, watchdogTripped: true }, LOG_QUIET_MS + 1);
  t.equal(log.length, 3);
  t.match(log[2]!, /DEGRADED: the MCU's watchdog tripped/);
  t.end();
});
