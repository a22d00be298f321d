// ganglion train's pipeline on a LeRobot v3.0 dataset written by another library: read, weight interventions, split by episode, stop early, save a skill folder the registry loads, and a DAgger round.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { recordDemos, REACH_ACTION, REACH_OBSERVATION } from '../../host/demos/record-demos.ts';
import { readDataset } from '../../host/learn/dataset.ts';
import { trainSkill } from '../../host/learn/train.ts';
import { createRegistry, loadSkillPackages } from '../../host/skills/registry.ts';
import { evalSeeds, scoreReach } from '../../host/demos/train-eval.ts';
import { writeLeRobotDataset, type WriterEpisode } from './helpers/lerobot-writer.ts';

const names = { observation_names: [...REACH_OBSERVATION], action_names: [...REACH_ACTION] };

function scriptedDataset(dir: string, first: number, n: number, intervention = false): WriterEpisode[] {
  const eps = recordDemos(first, n, { action_noise_rad: 0.02 }).episodes.map((e) => ({
    obs: e.obs,
    act: e.act,
    // The first third of each episode marked as a person's correction.
    ...(intervention ? { intervention: e.obs.map((_, i) => (i < e.obs.length / 3 ? 1 : 0)) } : {}),
  }));
  writeLeRobotDataset(dir, eps, names);
  return eps;
}

t.test('the dataset reader gives back what hyparquet-writer wrote, by episode; bad datasets are named', async (t) => {
  const dir = t.testdir();
  const ds = path.join(dir, 'ds');
  const eps = scriptedDataset(ds, 1, 3, true);
  const back = await readDataset(ds);
  t.same(back.observation_names, REACH_OBSERVATION);
  t.equal(back.episodes.length, 3);
  t.equal(back.episodes[1]!.obs.length, eps[1]!.obs.length);
  t.ok(Math.abs(back.episodes[1]!.obs[5]![4]! - eps[1]!.obs[5]![4]!) < 1e-6, 'values at float32 precision');
  t.equal(back.episodes[0]!.intervention[0], 1);
  t.equal(back.episodes[0]!.intervention.at(-1), 0);

  const info = path.join(ds, 'meta', 'info.json');
  const good = readFileSync(info, 'utf8');
  writeFileSync(info, good.replace('"v3.0"', '"v2.1"'));
  await t.rejects(readDataset(ds), /info\.json: codebase_version: must be "v3\.0"/);
  writeFileSync(info, good.replace('"shoulder_position_rad"', '"shoulder_position_rad", "extra"'));
  await t.rejects(readDataset(ds), /features\.observation\.state has shape \[8\] but 9 names/);
  writeFileSync(info, '{"codebase_version": "v3.0"');
  await t.rejects(readDataset(ds), /info\.json is corrupt: not valid JSON/);
  await t.rejects(readDataset(path.join(dir, 'nope')), /dataset directory .*nope does not exist/);
});

t.test('train: a skill folder with stats and features the registry loads and plan-style scoring runs; DAgger aggregates and continues', async (t) => {
  const dir = t.testdir();
  scriptedDataset(path.join(dir, 'round0'), 1, 12);
  const epochs: number[] = [];
  const out = path.join(dir, 'skills');
  const r = await trainSkill({ datasets: [path.join(dir, 'round0')], skill: 'reach_taught', out, hidden: [32, 32], epochs: 40, patience: 3, seed: 2, onEpoch: (e) => epochs.push(e) });
  t.same(r.result.episodes, { train: 11, validation: 1 }, 'split by episode');
  t.ok(r.result.best_epoch >= 1 && r.result.best_epoch <= r.result.epochs, `kept epoch ${r.result.best_epoch} of ${r.result.epochs}`);
  t.same(epochs, Array.from({ length: r.result.epochs }, (_, i) => i + 1));
  if (r.result.stopped_early) t.ok(r.result.epochs - r.result.best_epoch >= 3, 'stopped after 3 epochs without improvement');
  const m = JSON.parse(readFileSync(path.join(r.dir, 'policy.json'), 'utf8'));
  t.same(m.observation.map((f: { feature: string }) => f.feature), REACH_OBSERVATION);
  t.ok(m.observation.every((f: { std: number }) => f.std > 0), 'normalisation stats in the manifest');
  t.match(m.training, { seed: 2, intervention_frames: 0, hidden: [32, 32] });

  const registry = createRegistry();
  const rep = await loadSkillPackages(registry, out);
  t.same(rep.errors, []);
  t.same(rep.loaded.map((l) => l.skills), [['reach_taught']], 'the folder loads as a skill package');
  const tool = registry.tools().find((x) => x.name === 'reach_taught')!;
  t.match(tool.parameters, { properties: { x_m: { type: 'number' }, y_m: { type: 'number' } } }, 'JSON-Schema args for a planner');
  const s = scoreReach(registry, 'reach_taught', evalSeeds(3));
  for (const o of s.outcomes) t.ok(['done', 'timeout', 'failed'].includes(o.state), `seed ${o.seed} ran to ${o.state}`);

  // Same seed, same data: the same model.
  const again = await trainSkill({ datasets: [path.join(dir, 'round0')], skill: 'reach_taught', out: path.join(dir, 'again'), hidden: [32, 32], epochs: 40, patience: 3, seed: 2 });
  t.equal(again.result.val_loss, r.result.val_loss, 'seeded: identical validation loss');

  // Round 1: the new data marks interventions; the round aggregates round 0 and starts from its weights, and of round 1
  // it keeps only the frames a person had control of (HG-DAgger).
  const round1 = scriptedDataset(path.join(dir, 'round1'), 50, 4, true);
  const takeover = round1.reduce((a, e) => a + e.intervention!.reduce((x, y) => x + y, 0), 0);
  const round1Frames = round1.reduce((a, e) => a + e.obs.length, 0);
  const logs: string[] = [];
  const d = await trainSkill({ datasets: [path.join(dir, 'round1')], skill: 'reach_taught_r1', out, dagger_from: r.dir, intervention_weight: 5, epochs: 5, patience: 0, seed: 2, log: (l) => logs.push(l) });
  t.same(d.datasets, [path.join(dir, 'round0'), path.join(dir, 'round1')], 'round 0 data aggregated with round 1');
  t.equal(d.intervention_frames, takeover, `the ${takeover} intervention frames, weighted x5`);
  t.same(d.result.episodes.train + d.result.episodes.validation, 16);
  t.ok(d.result.val_loss < 1, `continued from round 0's weights: val_loss ${d.result.val_loss.toFixed(4)} after 5 epochs`);
  t.match(logs.join('\n'), new RegExp(`round1: a DAgger round's runs: ${takeover} frames where a person had control are kept`));
  const m1 = JSON.parse(readFileSync(path.join(d.dir, 'policy.json'), 'utf8'));
  t.same(m1.training.interventions_only, [path.join(dir, 'round1')], 'the manifest says which datasets gave only their interventions');
  // The policy's own frames in: every frame of round 1 counts; the interventions are the same.
  const all = await trainSkill({ datasets: [path.join(dir, 'round1')], skill: 'reach_taught_r1_all', out, dagger_from: r.dir, policy_frames: true, intervention_weight: 5, epochs: 5, patience: 0, seed: 2 });
  t.equal(all.intervention_frames, takeover);
  t.ok(all.result.samples > d.result.samples, `--policy-frames: ${all.result.samples} training frames against ${d.result.samples} (round 1 has ${round1Frames}, ${takeover} of them a person's)`);
  t.same(JSON.parse(readFileSync(path.join(all.dir, 'policy.json'), 'utf8')).training.interventions_only, []);
  await t.rejects(trainSkill({ datasets: [path.join(dir, 'round1')], skill: 'x', out, policy_frames: true, epochs: 1 }), /--policy-frames is for a DAgger round/);
  // Round 2: round 1 stays interventions-only when it is aggregated again; round 2's runs had no takeover and add nothing.
  scriptedDataset(path.join(dir, 'round2'), 70, 3, false);
  const d2 = await trainSkill({ datasets: [path.join(dir, 'round2')], skill: 'reach_taught_r2', out, dagger_from: d.dir, epochs: 2, patience: 0, seed: 2 });
  t.same(d2.datasets, [path.join(dir, 'round0'), path.join(dir, 'round1'), path.join(dir, 'round2')]);
  t.equal(d2.intervention_frames, takeover, 'round 1 still gives only its interventions');
  t.equal(d2.result.episodes.train + d2.result.episodes.validation, 16, 'round 2 had no takeover: no episode of it is trained on');
  t.same(JSON.parse(readFileSync(path.join(d2.dir, 'policy.json'), 'utf8')).training.interventions_only, [path.join(dir, 'round1'), path.join(dir, 'round2')]);

  // A dataset whose features do not match the skill being continued is refused, naming both.
  const other = path.join(dir, 'other');
  writeLeRobotDataset(other, recordDemos(80, 2).episodes.map((e) => ({ obs: e.obs.map((r) => r.slice(0, 4)), act: e.act })), { observation_names: REACH_OBSERVATION.slice(0, 4), action_names: [...REACH_ACTION] });
  await t.rejects(trainSkill({ datasets: [other], skill: 'x', out, dagger_from: r.dir, epochs: 1 }), /other: observation\.state has no "target_from_shoulder_x_m"/);
  await t.rejects(trainSkill({ datasets: [other], skill: 'x', out, observation: ['shoulder_position_rad', 'nonsense'], epochs: 1 }), /observation\.state has no "nonsense"/);
});

t.test('ganglion train: the command line trains, evaluates into the affordance, and names bad input', async (t) => {
  const { trainMain } = await import('../../host/cli/train.ts');
  const dir = t.testdir();
  scriptedDataset(path.join(dir, 'ds'), 1, 4);
  const lines: string[] = [];
  const code = await trainMain([path.join(dir, 'ds'), '--skill', 'reach_cli', '--out', path.join(dir, 'skills'), '--epochs', '3', '--hidden', '16', '--eval', '2'], (s) => lines.push(s), (s) => lines.push(s), false);
  t.equal(code, 0);
  t.match(lines.join(''), /epoch 1\/3: loss [\d.]+, val_loss [\d.]+[\s\S]*evaluation: \d+ % of 2 held-out reach scenes[\s\S]*skill "reach_cli" in /);
  const m = JSON.parse(readFileSync(path.join(dir, 'skills', 'reach_cli', 'policy.json'), 'utf8'));
  t.equal(m.evaluation.scenes, 2, 'the evaluation is in policy.json (the skill\'s affordance)');
  const errs: string[] = [];
  t.equal(await trainMain(['--skill', 'x'], () => {}, (s) => errs.push(s), false), 2);
  t.match(errs.join(''), /give DATASET/);
  await t.rejects(trainMain([path.join(dir, 'missing'), '--skill', 'x', '--eval', '0'], () => {}, () => {}, false), /dataset directory .*missing does not exist/);
});

t.test('the offline planner calls a learned skill by name at a world point', async (t) => {
  const { parseCommand } = await import('../../host/planner/rule-planner.ts');
  t.same(parseCommand('run reach_taught at 0.2 0.05'), { kind: 'point_skill', skill: 'reach_taught', x_m: 0.2, y_m: 0.05 });
  t.same(parseCommand('use reach_learned at (-0.15, 0.1)'), { kind: 'point_skill', skill: 'reach_learned', x_m: -0.15, y_m: 0.1 });
  t.equal(parseCommand('run reach_taught'), null, 'no point: not this form');
});
