// TurnClock: an emulated cycle maps to the end of the turn that ran it; cycles older than the kept turns map to nothing.
import t from 'tap';
import { TurnClock } from '../../host/emulator/turn-clock.ts';

t.test('a cycle maps to the first turn end at or after it', (t) => {
  const c = new TurnClock(4);
  t.equal(c.timeOf_ns(10), null, 'nothing run yet');
  c.record(100, 1_000);
  c.record(200, 2_000);
  c.record(300, 3_000);
  t.equal(c.timeOf_ns(150), 2_000, 'inside the second turn: its end');
  t.equal(c.timeOf_ns(200), 2_000, 'the last cycle of a turn');
  t.equal(c.timeOf_ns(201), 3_000);
  t.equal(c.timeOf_ns(100), null, 'in or before the oldest kept turn: when it ran is unknown');
  t.equal(c.timeOf_ns(301), null, 'not run yet');
  c.record(400, 4_000);
  c.record(500, 5_000); // the ring drops the turn that ended at 100
  t.equal(c.timeOf_ns(250), 3_000);
  t.equal(c.timeOf_ns(199), null, 'the turn that ran it has left the ring');
  t.equal(c.timeOf_ns(450), 5_000);
  t.end();
});
