// A model directory is a trust boundary: each bad case is refused at load, in one sentence naming the file and the feature or field.
import t, { type Test } from 'tap';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadPolicySkill } from '../../host/skills/policy/skill.ts';
import { loadPolicy } from '../../host/skills/policy/policy.ts';
import { createRegistry, loadSkillPackages } from '../../host/skills/registry.ts';

const POLICY_SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'host', 'skills', 'policy');
const EXAMPLE = path.join(POLICY_SRC, 'examples', 'reach');

/** A fresh copy of the shipped example, then one edit to it. */
function broken(t: Test, edit: (dir: string) => void): string {
  const dir = t.testdir();
  cpSync(EXAMPLE, dir, { recursive: true });
  edit(dir);
  return dir;
}
const json = (dir: string, f: string) => JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
const writeJson = (dir: string, f: string, v: unknown) => writeFileSync(path.join(dir, f), JSON.stringify(v));

t.test('the unedited copy loads (so each refusal below is down to its one edit)', async (t) => {
  const p = await loadPolicy(broken(t, () => {}));
  t.equal(p.observation.length, 8);
  p.dispose();
});

const CASES: { name: string; edit: (dir: string) => void; error: RegExp }[] = [
  { name: 'no such directory', edit: (d) => rmSync(d, { recursive: true }), error: /policy directory .* does not exist/ },
  { name: 'missing policy.json', edit: (d) => rmSync(path.join(d, 'policy.json')), error: /policy\.json is missing: a policy directory needs policy\.json/ },
  { name: 'missing model file', edit: (d) => rmSync(path.join(d, 'model.json')), error: /model\.json is missing: policy\.json names it as the model/ },
  { name: 'missing weights file', edit: (d) => rmSync(path.join(d, 'weights.bin')), error: /weights\.bin is missing: model\.json lists it in weightsManifest/ },
  { name: 'corrupt policy.json', edit: (d) => writeFileSync(path.join(d, 'policy.json'), '{"format": "ganglion.po'), error: /policy\.json is corrupt: not valid JSON/ },
  {
    name: 'corrupt model.json (truncated)',
    edit: (d) => writeFileSync(path.join(d, 'model.json'), readFileSync(path.join(d, 'model.json'), 'utf8').slice(0, 500)),
    error: /model\.json is corrupt: not valid JSON/,
  },
  { name: 'model.json that is JSON but no model', edit: (d) => writeJson(d, 'model.json', { hello: 1 }), error: /model\.json is not a TF\.js layers model: modelTopology/ },
  {
    name: 'model.json with a broken topology',
    edit: (d) => writeJson(d, 'model.json', { ...json(d, 'model.json'), modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'NoSuchLayer', config: {} }] } } }),
    error: /model\.json: TF\.js could not build the model from it: .*NoSuchLayer/,
  },
  {
    name: 'weights path escaping the folder',
    edit: (d) => writeJson(d, 'model.json', { ...json(d, 'model.json'), weightsManifest: [{ ...json(d, 'model.json').weightsManifest[0], paths: ['../weights.bin'] }] }),
    error: /model\.json is not a TF\.js layers model: weightsManifest\.0\.paths\.0: a file name in the model directory/,
  },
  {
    name: 'truncated weights',
    edit: (d) => writeFileSync(path.join(d, 'weights.bin'), readFileSync(path.join(d, 'weights.bin')).subarray(0, 1000)),
    error: /weights\.bin holds 1000 bytes but model\.json declares 19464 bytes of weights .*truncated/,
  },
  {
    name: 'weights that decode to NaN',
    edit: (d) => writeFileSync(path.join(d, 'weights.bin'), Buffer.alloc(19464, 0xff)),
    error: /weights\.bin: weight "dense_Dense1\/kernel" holds a non-finite value at element 0: the weights are corrupt/,
  },
  {
    name: 'model input narrower than the declared observation features',
    edit: (d) => writeJson(d, 'policy.json', { ...json(d, 'policy.json'), observation: json(d, 'policy.json').observation.slice(0, 7) }),
    error: /model\.json: the model's input shape \[batch, 8\] does not match the 7 observation features policy\.json declares \(shoulder_position_rad, .*target_from_tip_x_m\): expected \[batch, 7\]/,
  },
  {
    name: 'model output narrower than the declared action features',
    edit: (d) => writeJson(d, 'policy.json', { ...json(d, 'policy.json'), action: [...json(d, 'policy.json').action, { feature: 'gripper_target_rad', mean: 0, std: 1 }] }),
    error: /model\.json: the model's output shape \[batch, 2\] does not match the 3 action features policy\.json declares \(shoulder_delta_rad, elbow_delta_rad, gripper_target_rad\)/,
  },
  {
    name: 'unknown observation feature',
    edit: (d) => {
      const p = json(d, 'policy.json');
      p.observation[2].feature = 'wrist_position_rad';
      writeJson(d, 'policy.json', p);
    },
    error: /policy\.json: observation\.2: unknown observation feature "wrist_position_rad"; known: shoulder_position_rad/,
  },
  {
    name: 'two action features on one joint',
    edit: (d) => writeJson(d, 'policy.json', { ...json(d, 'policy.json'), action: [...json(d, 'policy.json').action, { feature: 'elbow_target_rad', mean: 0, std: 1 }] }),
    error: /policy\.json: action\.2: "elbow_target_rad" and "elbow_delta_rad" both drive joint "elbow"/,
  },
  {
    name: 'a zero std (normalising would divide by zero)',
    edit: (d) => {
      const p = json(d, 'policy.json');
      p.observation[0].std = 0;
      writeJson(d, 'policy.json', p);
    },
    error: /policy\.json: observation\.0\.std: .*>0/,
  },
  { name: 'model file outside the folder', edit: (d) => writeJson(d, 'policy.json', { ...json(d, 'policy.json'), model: '../model.json' }), error: /policy\.json: model: a file name in the model directory/ },
];

for (const c of CASES)
  t.test(`refused at load: ${c.name}`, async (t) => {
    const before = tf.memory().numTensors;
    await t.rejects(loadPolicySkill(broken(t, c.edit)), c.error);
    t.equal(tf.memory().numTensors, before, 'a refused model leaves no tensors behind');
  });

t.test('a skill package whose model is bad is reported in one sentence and registers nothing', async (t) => {
  const dir = t.testdir({
    'bad.ts': `import { loadPolicySkill } from ${JSON.stringify(path.join(POLICY_SRC, 'skill.ts'))};\nexport default [await loadPolicySkill(${JSON.stringify(path.join(t.testdirName, 'nowhere'))})];\n`,
  });
  const registry = createRegistry();
  const before = registry.names().length;
  const r = await loadSkillPackages(registry, dir);
  t.match(r.errors, [{ error: /skill package bad\.ts failed to load: policy directory .*nowhere does not exist/ }]);
  t.equal(registry.names().length, before);
});

t.test('a non-finite observation is refused by name (the runner then fails the run and holds)', async (t) => {
  const p = await loadPolicy(EXAMPLE);
  const x = new Float32Array(8);
  x[3] = NaN;
  t.throws(() => p.act(x), /policy "reach_learned": observation feature elbow_velocity_radps is NaN/);
  t.throws(() => p.act(new Float32Array(7)), /observation has 7 values, the model takes 8/);
  p.dispose();
});
