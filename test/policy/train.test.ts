// The training pipeline end to end on a tiny dataset: record demonstrations, write/read them, train a few epochs, save, load the result as a skill and run it.
import t from 'tap';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { recordDemos, REACH_OBSERVATION, REACH_ACTION } from '../../host/demos/record-demos.ts';
import { readDemos, writeDemos } from '../../host/demos/record-file.ts';
import { trainPolicy } from '../../host/demos/train-policy.ts';
import { evalSeeds, scoreReach } from '../../host/demos/train-eval.ts';
import { loadPolicySkill } from '../../host/skills/policy/skill.ts';
import { createRegistry } from '../../host/skills/registry.ts';

t.test('demonstrations: the scripted reach is recorded tick by tick, round-trips through the file, and bad lines are named', async (t) => {
  const demos = recordDemos(1, 3, { action_noise_rad: 0.02 });
  t.same(demos.header.observation, REACH_OBSERVATION);
  t.same(demos.header.action, REACH_ACTION);
  for (const e of demos.episodes) {
    t.ok(e.done, `seed ${e.seed}: the teacher finished`);
    t.ok(e.obs.length > 30 && e.obs.length === e.act.length, `seed ${e.seed}: ${e.obs.length} ticks`);
    // The last rows are the settled arm: tip on target, the teacher's delta ~0.
    const last = e.obs.at(-1)!;
    t.ok(Math.hypot(last[6]!, last[7]!) < 0.005, 'the tip ends on the target');
    t.ok(Math.abs(e.act.at(-1)![0]!) < 1e-3 && Math.abs(e.act.at(-1)![1]!) < 1e-3, 'the settled action is ~0');
  }
  const dir = t.testdir();
  const file = path.join(dir, 'demos.jsonl');
  writeDemos(file, demos);
  t.same(readdirSync(dir), ['demos.jsonl'], 'the atomic write leaves no temp file');
  const back = readDemos(file);
  t.same(back.header, demos.header);
  t.equal(back.episodes.length, 3);
  t.ok(Math.abs(back.episodes[1]!.obs[10]![4]! - demos.episodes[1]!.obs[10]![4]!) < 1e-6, 'values kept to float32 precision');

  const lines = readFileSync(file, 'utf8').split('\n');
  const ep = JSON.parse(lines[2]!);
  ep.act[5] = [0.1];
  lines[2] = JSON.stringify(ep);
  writeFileSync(file, lines.join('\n'));
  t.throws(() => readDemos(file), /demos\.jsonl:3: act\.5 has 1 values; the header declares 2 action features/);
  writeFileSync(file, lines.slice(0, 2).join('\n') + '\n{"seed": 1, "target": {"x_m": "a"}');
  t.throws(() => readDemos(file), /demos\.jsonl:3: not valid JSON/);
});

t.test('train-policy: a tiny run (8 episodes, 3 epochs) saves a directory that loads and runs as a skill', async (t) => {
  const dir = t.testdir();
  const out = path.join(dir, 'tiny');
  const log: string[] = [];
  const r = await trainPolicy({
    out,
    demos: path.join(dir, 'demos.jsonl'),
    episodes: 8,
    epochs: 3,
    hidden: [16, 16],
    seed: 3,
    action_noise_rad: 0.02,
    eval_scenes: 2,
    name: 'reach_tiny',
    log: (l) => log.push(l),
  });
  t.ok(Number.isFinite(r.val_loss) && r.samples > 200, `val_loss ${r.val_loss}, ${r.samples} samples`);
  t.match(log, [/8 episodes of the scripted reach/, /epoch 1\/3/, /epoch 2\/3/, /epoch 3\/3/, /evaluation: \d+ % of 2 held-out reach tasks/, /saved/]);
  t.same(readdirSync(out).sort(), ['model.json', 'policy.json', 'weights.bin']);
  const manifest = JSON.parse(readFileSync(path.join(out, 'policy.json'), 'utf8'));
  t.match(manifest, { name: 'reach_tiny', training: { epochs: 3, hidden: [16, 16], episodes: { train: 7, validation: 1 } }, evaluation: { scenes: 2 } });

  // The affordance is the recorded evaluation success rate: a policy that never succeeded is refused with why.
  writeFileSync(path.join(out, 'policy.json'), JSON.stringify({ ...manifest, evaluation: { scenes: 2, success_rate: 0 } }));
  const refusing = createRegistry();
  refusing.register(await loadPolicySkill(out));
  t.match(scoreReach(refusing, 'reach_tiny', evalSeeds(1)).outcomes, [{ state: 'refused', reason: /affordance 0: policy "reach_tiny" succeeded in none of its 2 evaluation scenes/ }]);

  const { evaluation: _, ...unevaluated } = manifest;
  writeFileSync(path.join(out, 'policy.json'), JSON.stringify(unevaluated));
  const registry = createRegistry();
  registry.register(await loadPolicySkill(out));
  const s = scoreReach(registry, 'reach_tiny', evalSeeds(2));
  for (const o of s.outcomes) {
    t.not(o.state, 'refused', `seed ${o.seed} ran (${o.state}${o.reason ? `: ${o.reason}` : ''}); a 3-epoch model need not succeed`);
    t.ok(Number.isFinite(o.tip_error_m), 'the tiny model drove the arm to a finite pose');
  }
});
