// A reach taught from a recording: the features `ganglion train` reads from an export are, frame by frame, what the learned skill computes at run time, and the default features teach a policy that heads for the goal (not one that copies the arm's velocity).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { recordDaggerRound } from '../../host/demos/dagger-round.ts';
import { evalSeeds, scoreReach } from '../../host/demos/train-eval.ts';
import { readDataset } from '../../host/learn/dataset.ts';
import { selectFeatures } from '../../host/learn/features.ts';
import { trainSkill } from '../../host/learn/train.ts';
import { readRecording } from '../../host/record/reader.ts';
import { readObservation, REACH_ACTION, TAUGHT_REACH_OBSERVATION, type ObservationFeature } from '../../host/skills/policy/features.ts';
import { loadPolicySkill } from '../../host/skills/policy/skill.ts';
import { referenceGeometry } from '../../host/skills/reference-robot.ts';
import { createRegistry } from '../../host/skills/registry.ts';

// The export through the CLI as bin/ganglion.js runs it (tsx): hyparquet-writer's subpath imports need it (see test/record/export.test.ts).
const MAIN = new URL('../../host/cli/main.ts', import.meta.url).pathname;

t.test('record -> export -> train -> run: same features, and a policy that reaches', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'expert.mcap');
  // The scripted expert on the kinematic robot, recorded as `ganglion record` records (envelope output as the action).
  recordDaggerRound({ file, registry: createRegistry(), skill: 'reach', seeds: Array.from({ length: 20 }, (_, i) => 1 + i), goal_noise_m: 0 });
  const rec = readRecording(file);
  const ds = path.join(dir, 'ds');
  const ex = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'export', file, '--format', 'lerobot', '--out', ds], { encoding: 'utf8' });
  t.equal(ex.status, 0, ex.stderr);

  // 1. Round trip: every frame's training vector equals what the skill reads from that frame's observation.
  const data = await readDataset(ds);
  const f = selectFeatures(data);
  t.same(f.obs, TAUGHT_REACH_OBSERVATION, 'the default observation of a taught reach');
  t.same(f.act, REACH_ACTION);
  const g = referenceGeometry();
  const joints = rec.session.joints;
  let worst = 0;
  let worstAct = 0;
  let frames = 0;
  data.episodes.forEach((e, k) => {
    const re = rec.episodes[k]!;
    t.equal(re.frames.length, e.obs.length, `episode ${k}: every recorded frame exported`);
    e.obs.forEach((_, i) => {
      const fr = re.frames[i]!;
      const obs = { base: fr.base, joints: Object.fromEntries(joints.map((j, n) => [j, { position_rad: fr.position_rad[n]!, velocity_radps: fr.velocity_radps[n]! }])), objects: [], held_id: null };
      const run = readObservation(f.obs as ObservationFeature[], { obs, geometry: g, target: fr.goal! }, new Float32Array(f.obs.length));
      f.obsRead.forEach((r, n) => (worst = Math.max(worst, Math.abs(r(e, i) - run[n]!))));
      // The action learned is the envelope's setpoint less where the joint was, in the same frame.
      ['shoulder', 'elbow'].forEach((j, n) => {
        const q = joints.indexOf(j);
        worstAct = Math.max(worstAct, Math.abs(f.actRead[n]!(e, i) - (fr.action[q]! - fr.position_rad[q]!)));
      });
      frames++;
    });
  });
  // float32 columns: the dataset stores single precision.
  t.ok(worst < 1e-5, `${frames} frames: largest difference between the training and the run-time feature ${worst.toExponential(2)}`);
  t.ok(worstAct < 1e-5, `largest difference between the learned action and setpoint minus position in the same frame ${worstAct.toExponential(2)}`);

  // 2. The taught policy goes for the goal: with the arm's velocity as an input it learned to copy it (0 of 20 scenes,
  // final tip a median 80-110 mm off); with the absolute pose as well, it followed the demonstrated paths (43 %, 6.3 mm);
  // from how far each joint is from its goal it ends on the goal as the expert does.
  const r = await trainSkill({ datasets: [ds], skill: 'reach_taught', out: path.join(dir, 'skills'), epochs: 80, patience: 0, seed: 1 });
  const registry = createRegistry();
  registry.register(await loadPolicySkill(r.dir), r.dir);
  const s = scoreReach(registry, 'reach_taught', evalSeeds(10));
  const err = s.outcomes.map((o) => o.tip_error_m).sort((a, b) => a - b);
  const median_mm = 1000 * err[err.length >> 1]!;
  t.ok(median_mm < 5, `median final tip error ${median_mm.toFixed(1)} mm on 10 held-out scenes, within the 5 mm tolerance`);
  t.ok(s.success_rate >= 0.9, `the taught reach succeeds where the expert does (10 of 10): ${s.success_rate * 100} %`);

  // 3. Perception noise, 3 mm per axis re-drawn every frame on a marker at the goal; both skills are called with one
  // look. The scripted reach plans from that look (about 75 % land within 5 mm); the taught reach re-reads its target
  // every frame and averages, so the same net lands where the expert cannot.
  const seeds = evalSeeds(20);
  const expert = scoreReach(createRegistry(), 'reach', seeds, 0.005, 0.003, 'marker');
  const noisy = scoreReach(registry, 'reach_taught', seeds, 0.005, 0.003, 'marker');
  t.ok(noisy.success_rate > expert.success_rate, `noisy perception, 20 scenes: taught ${noisy.success_rate * 100} %, expert ${expert.success_rate * 100} %`);
});
