// The retransmission timeout estimator: Jacobson/Karels smoothing, Klipper's bounds, exponential backoff.
import t from 'tap';
import { RTO_INITIAL_MS, RTO_MAX_MS, RTO_MIN_MS, RttEstimator } from '../../host/link/rtt.ts';

t.test('first sample sets SRTT and RTTVAR = R/2; later ones smooth with gains 1/8 and 1/4', async (t) => {
  const r = new RttEstimator();
  t.equal(r.rtoMs, RTO_INITIAL_MS);
  r.sample(40);
  t.equal(r.stats().srttMs, 40);
  t.equal(r.stats().rttvarMs, 20);
  t.equal(r.rtoMs, 40 + 4 * 20);
  r.sample(80);
  t.equal(r.stats().rttvarMs, 0.75 * 20 + 0.25 * 40);
  t.equal(r.stats().srttMs, 0.875 * 40 + 0.125 * 80);
  t.equal(r.stats().minMs, 40);
  t.equal(r.stats().lastMs, 80);
});

t.test('bounded to 25 ms .. 5 s; timeouts double it until a clean sample', async (t) => {
  const r = new RttEstimator();
  r.sample(0.3);
  t.equal(r.rtoMs, RTO_MIN_MS, 'sub-millisecond links still wait 25 ms');
  r.timedOut();
  t.equal(r.rtoMs, 2 * RTO_MIN_MS);
  r.timedOut();
  t.equal(r.rtoMs, 4 * RTO_MIN_MS);
  for (let i = 0; i < 20; i++) r.timedOut();
  t.equal(r.rtoMs, RTO_MAX_MS);
  r.sample(0.3);
  t.equal(r.rtoMs, RTO_MIN_MS, 'a sample from an unretransmitted frame clears the backoff');
});
