// The recording tap past the loop's history: an event loop held longer than HISTORY_TICKS leaves a gap in the tap's ticks, and a notice that names exactly the ticks lost.
import t from 'tap';
import { HISTORY_TICKS } from '../../host/executor/shared.ts';
import type { RuntimeSample } from '../../host/runtime/recording-tap.ts';
import { startSimRobot } from '../../host/runtime/sim-robot.ts';

t.test('a hold longer than the history: the lost ticks are a notice, the rest of the ticks are sampled', async (t) => {
  // A watchdog window far beyond the hold, so the MCUs stay armed through it.
  const sim = await startSimRobot({ watchdog_ms: 20_000, firmware: 'posix', robot_id: 'r1' });
  t.teardown(() => sim.stop());
  const samples: RuntimeSample[] = [];
  const notices: string[] = [];
  sim.runtime.on('notice', (n: { text: string }) => notices.push(n.text));
  const off = sim.runtime.onSample((s) => samples.push(s));
  while (samples.length < 10) await new Promise((r) => setTimeout(r, 5));
  // At 500 Hz the history holds ~2 s of ticks; hold the event loop for longer.
  const hold_ms = (HISTORY_TICKS / 500) * 1000 + 500;
  const t0 = performance.now();
  while (performance.now() - t0 < hold_ms);
  const n = samples.length;
  while (samples.length < n + 20) await new Promise((r) => setTimeout(r, 5));
  off();
  const gaps = samples.flatMap((s, i) => (i > 0 && s.tick !== samples[i - 1]!.tick + 1 ? [s.tick - samples[i - 1]!.tick - 1] : []));
  t.equal(gaps.length, 1, `one gap in ${samples.length} samples: ${gaps.join(', ')} ticks`);
  const lost = notices.map((x) => /^(\d+) ticks before tick \d+ were missed and are older than the loop's history \(1024 ticks\)/.exec(x)).filter((m) => m);
  t.equal(lost.length, 1, `one notice: ${notices.filter((x) => /history/.test(x)).join(' | ')}`);
  t.equal(Number(lost[0]![1]), gaps[0], 'it names exactly the ticks missing from the samples');
  t.ok(gaps[0]! > 0 && gaps[0]! < (hold_ms / 1000) * 500, 'fewer than the hold: the history gave back the rest');
});
