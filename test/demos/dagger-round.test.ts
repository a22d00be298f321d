// A DAgger round on the kinematic robot: where the skill misses the true goal the expert takes over, and the recording marks exactly those frames as interventions, which the export carries.
import path from 'node:path';
import t from 'tap';
import { recordDaggerRound } from '../../host/demos/dagger-round.ts';
import { readRecording } from '../../host/record/reader.ts';
import { createRegistry } from '../../host/skills/registry.ts';

t.test('a skill given a noisy goal misses, the expert takes over, the takeover is an intervention', async (t) => {
  // Simulated time runs fast, but each episode's end is fsynced: generous on a loaded machine.
  t.setTimeout(180_000);
  const dir = t.testdir();
  // The scripted reach stands in for the learned skill: given the goal 2 cm off, it reaches the wrong point.
  const file = path.join(dir, 'noisy.mcap');
  const r = recordDaggerRound({ file, registry: createRegistry(), skill: 'reach', seeds: [11, 12], goal_noise_m: 0.02 });
  t.equal(r.episodes, 2);
  t.ok(r.interventions >= 1, `the expert took over in ${r.interventions} of 2`);
  const rec = readRecording(file);
  t.equal(rec.episodes.length, 2);
  t.ok(rec.session.geometry, 'geometry stored for the export');
  const frames = rec.episodes.flatMap((e) => e.frames);
  t.equal(frames.length, r.frames);
  t.ok(frames.every((f) => f.goal !== null), 'the perceived goal is on every frame');
  const takeover = frames.filter((f) => f.control === 'teleop');
  t.ok(takeover.length > 0 && takeover.every((f) => f.teleop?.operator === 'expert'), `${takeover.length} expert frames`);
  // A takeover after the skill drove is an intervention (a skill that refused its goal outright never drove).
  for (const e of rec.episodes.filter((e) => e.frames.some((f) => f.control === 'policy')))
    t.ok(e.frames.filter((f) => f.control === 'teleop').every((f) => f.intervention), `episode ${e.index}: the takeover frames are interventions`);
  t.ok(frames.filter((f) => f.control === 'policy').every((f) => !f.intervention), 'the skill\'s own frames are not');

  // Exact goals: the skill gets there itself, nobody steps in.
  const clean = recordDaggerRound({ file: path.join(dir, 'clean.mcap'), registry: createRegistry(), skill: 'reach', seeds: [11], goal_noise_m: 0 });
  t.equal(clean.interventions, 0);
});

t.test('with a marker on the goal, each frame records the goal where perception has it by then', async (t) => {
  t.setTimeout(180_000);
  const file = path.join(t.testdir(), 'marker.mcap');
  recordDaggerRound({ file, registry: createRegistry(), skill: 'reach', seeds: [11], goal_noise_m: 0.003, perception: 'marker' });
  const frames = readRecording(file).episodes[0]!.frames;
  const goals = new Set(frames.map((f) => `${f.goal!.x_m},${f.goal!.y_m}`));
  // 20 Hz perception at a 100 Hz control rate: a new estimate every 5 frames.
  t.ok(goals.size >= frames.length / 10, `${goals.size} distinct goal estimates over ${frames.length} frames`);
  t.ok(frames.every((f) => f.objects.some((o) => o.id === 'goal')), 'the marker is among the perceived objects on every frame');
  const marker = frames[0]!.objects.find((o) => o.id === 'goal')!;
  t.ok(frames.every((f) => Math.hypot(f.goal!.x_m - marker.x_m, f.goal!.y_m - marker.y_m) < 0.03), 'every estimate is the marker, not some other object');
});
