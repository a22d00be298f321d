// The pure-JS Dense forward pass gives TF.js's answer for the same weights, and refuses models that are not a plain Dense stack.
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { buildMlp } from '../../host/demos/train-bc.ts';
import { compileDenseMlp } from '../../host/skills/policy/dense-mlp.ts';
import { predictOne } from '../../host/skills/policy/policy.ts';
import { initPolicyBackend } from '../../host/skills/policy/backend.ts';

await initPolicyBackend();

t.test('matches LayersModel.predict on random inputs (relu hidden, linear head, tanh variant)', async (t) => {
  for (const act of ['relu', 'tanh'] as const) {
    const model = act === 'relu' ? buildMlp(16, [32, 32], 4, 7) : tf.sequential({ layers: [tf.layers.dense({ units: 12, activation: 'tanh', inputShape: [5] }), tf.layers.dense({ units: 3 })] });
    const width = act === 'relu' ? 16 : 5;
    const fwd = compileDenseMlp(model);
    t.ok(fwd, `${act} model compiles`);
    for (let s = 0; s < 20; s++) {
      const x = Float32Array.from({ length: width }, (_, i) => Math.sin(s * 7 + i) * 2);
      const ref = predictOne(model, x);
      const got = fwd!(x);
      t.equal(got.length, ref.length);
      const err = Math.max(...Array.from(ref, (v, i) => Math.abs(v - got[i]!)));
      if (err > 1e-4) t.fail(`${act} sample ${s}: max error ${err}`);
    }
    t.throws(() => fwd!(new Float32Array(width + 1)), /input has/);
    model.dispose();
  }
});

t.test('a model with a non-Dense layer stays on TF.js', async (t) => {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] }), tf.layers.dropout({ rate: 0.1 }), tf.layers.dense({ units: 2 })] });
  t.equal(compileDenseMlp(model), null);
  model.dispose();
});
