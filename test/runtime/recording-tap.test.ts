// The recording tap alone: samples only while someone listens, events gathered between samples, a throwing listener reported and not fatal.
import t from 'tap';
import { RecordingTap } from '../../host/runtime/recording-tap.ts';

const base = {
  t_ms: 0, tick: 1, teleop: null, skill: null, control: 'idle' as const,
  observation: { base: { x_m: 0, y_m: 0, heading_rad: 0 }, joints: {}, objects: [], held_id: null },
  action: { setpoint: { a: 1 }, torque_enabled: { a: true } },
};

t.test('events are kept only while someone listens, and go out with the next sample', async (t) => {
  const tap = new RecordingTap();
  t.equal(tap.active, false);
  tap.event({ kind: 'loop_event', event: { type: 'event', kind: 'clear', text: 'before anyone listened' } as never });
  const got: unknown[][] = [];
  const off = tap.listen((s) => got.push(s.events));
  t.equal(tap.active, true);
  tap.emit(base, () => t.fail('no error'));
  t.same(got[0], [], 'an event from before listening is not delivered');
  tap.event({ kind: 'loop_event', event: { type: 'event', kind: 'estop', text: 'e' } as never });
  tap.emit({ ...base, tick: 2 }, () => t.fail('no error'));
  tap.emit({ ...base, tick: 3 }, () => t.fail('no error'));
  t.equal(got[1]!.length, 1, 'the event goes out with the next sample');
  t.same(got[2], [], 'and only once');
  off();
  t.equal(tap.active, false, 'nobody listens after off()');
});

t.test('a listener that throws is reported; the others still get the sample', async (t) => {
  const tap = new RecordingTap();
  const errors: string[] = [];
  let second = 0;
  tap.listen(() => { throw new Error('disk full'); });
  tap.listen(() => second++);
  tap.emit(base, (e) => errors.push(e.message));
  t.same(errors, ['disk full']);
  t.equal(second, 1);
});
