// Policy inference latency (MLP 64-256-256-8, one sample) on the wasm and cpu TF.js backends side by side, and the learned reach's task success beside the scripted reach on the same 100 scenes.
import * as tf from '@tensorflow/tfjs';
import { buildMlp } from '../host/demos/train-bc.ts';
import { evalSeeds, scoreReach } from '../host/demos/train-eval.ts';
import { EXAMPLE_DIR } from '../host/demos/train-policy.ts';
import { initPolicyBackend, useBackend, type PolicyBackend } from '../host/skills/policy/backend.ts';
import { compileDenseMlp } from '../host/skills/policy/dense-mlp.ts';
import { loadPolicy, predictOne } from '../host/skills/policy/policy.ts';
import { createPolicySkill } from '../host/skills/policy/skill.ts';
import { createRegistry } from '../host/skills/registry.ts';
import { percentile, type Figure } from './report.ts';

const WARMUP = 300;
const SAMPLES = 3000;
const SCENES = 100;
/** Scenes the policy saw neither in training (seeds 1-300) nor in its recorded evaluation (the first 100 eval seeds). */
const SCENE_OFFSET = 10_000;
const GOAL_P99_US = 300;

/** Latency of one synchronous inference [us], over SAMPLES calls after a warm-up (JIT, wasm kernel caches). */
function time(model: tf.LayersModel, width: number, fwd: (x: Float32Array) => Float32Array = (x) => predictOne(model, x)): number[] {
  const x = new Float32Array(width);
  const us: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    // A new input each call, as a control loop would have.
    x[i % width] = Math.sin(i);
    const t0 = process.hrtime.bigint();
    fwd(x);
    const dt = Number(process.hrtime.bigint() - t0) / 1000;
    if (i >= WARMUP) us.push(dt);
  }
  return us;
}

/**
 * The same layers as bare matMul/add/relu ops on the model's own weights: the kernels' cost without
 * LayersModel.predict's bookkeeping, i.e. the floor for this backend on this machine at this moment.
 */
function timeKernels(model: tf.LayersModel, width: number): number[] {
  // The variables' own tensors (not copies): the model owns and disposes them.
  const layers = model.layers.map((l) => l.getWeights() as [tf.Tensor2D, tf.Tensor1D]);
  const x = new Float32Array(width);
  const us: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    x[i % width] = Math.sin(i);
    const t0 = process.hrtime.bigint();
    tf.tidy(() => {
      let h = tf.tensor2d(x, [1, width]);
      layers.forEach(([k, b], j) => {
        h = tf.add(tf.matMul(h, k), b);
        if (j < layers.length - 1) h = tf.relu(h);
      });
      return h.dataSync();
    });
    const dt = Number(process.hrtime.bigint() - t0) / 1000;
    if (i >= WARMUP) us.push(dt);
  }
  return us;
}

interface Latency {
  p50: number;
  p99: number;
  kernels_p50: number;
  kernels_p99: number;
}

async function latency(backend: PolicyBackend): Promise<Latency | null> {
  if (!(await useBackend(backend))) return null;
  const model = buildMlp(64, [256, 256], 8, 1);
  try {
    const us = time(model, 64);
    const k = timeKernels(model, 64);
    return { p50: percentile(us, 50), p99: percentile(us, 99), kernels_p50: percentile(k, 50), kernels_p99: percentile(k, 99) };
  } finally {
    model.dispose();
  }
}

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const backend = await initPolicyBackend();

  // Task success first, on the default backend, with the shipped example.
  const policy = await loadPolicy(EXAMPLE_DIR);
  const registry = createRegistry();
  registry.register(createPolicySkill(policy));
  const seeds = evalSeeds(SCENES, SCENE_OFFSET);
  const learned = scoreReach(registry, policy.manifest.name, seeds);
  const scripted = scoreReach(registry, 'reach', seeds);
  const fails = learned.outcomes.filter((o) => !(o.state === 'done' && o.tip_error_m < learned.tolerance_m));
  figures.push({
    name: `learned reach (examples/reach, ${backend}) task success, ${SCENES} random reach scenes, tip within 5 mm`,
    value: 100 * learned.success_rate,
    unit: '%',
    baseline: { label: 'scripted reach, same scenes', value: 100 * scripted.success_rate },
    note: `mean time ${learned.mean_time_s.toFixed(2)} s vs scripted ${scripted.mean_time_s.toFixed(2)} s (simulated, 100 Hz)${fails.length ? `; failed seeds: ${fails.map((f) => `${f.seed} ${f.state} ${(f.tip_error_m * 1000).toFixed(1)} mm`).join(', ')}` : ''}`,
  });
  const us = time(policy.model, policy.observation.length);
  figures.push({
    name: `example policy (MLP 8-64-64-2) one inference on ${backend}, p99`,
    value: percentile(us, 99),
    unit: 'us',
    baseline: { label: 'p50', value: percentile(us, 50) },
    note: 'per control tick at 100 Hz: 10 000 us of budget',
  });
  policy.dispose();

  const wasm = await latency('wasm');
  const cpu = await latency('cpu');
  const native = await latency('tensorflow');
  const mlp = buildMlp(64, [256, 256], 8, 1);
  const dense = compileDenseMlp(mlp)!;
  const js = time(mlp, 64, dense);
  mlp.dispose();
  figures.push({
    name: 'MLP 64-256-256-8, one sample, pure-JS Dense forward (the skill\'s path for Dense models), p99',
    value: percentile(js, 99), unit: 'us',
    baseline: { label: 'TF.js wasm predict p99, same run (before)', value: wasm?.p99 ?? NaN },
    goal: `p99 <= ${GOAL_P99_US} us`, pass: percentile(js, 99) <= GOAL_P99_US,
    note: `p50 ${percentile(js, 50).toFixed(0)} us; cpu backend p99 ${cpu?.p99.toFixed(0)} us; ${SAMPLES} calls after ${WARMUP} warm-up`,
  });
  if (wasm && cpu) {
    figures.push({ name: 'MLP 64-256-256-8, one sample, wasm backend, p50', value: wasm.p50, unit: 'us', baseline: { label: 'cpu backend p50', value: cpu.p50 } });
    figures.push({
      name: 'MLP 64-256-256-8, one sample, TF.js wasm backend predict, p99 (context: the skill runs Dense models on the pure-JS forward above, which carries the goal)',
      value: wasm.p99,
      unit: 'us',
      baseline: { label: 'cpu backend p99', value: cpu.p99 },
      note: `${SAMPLES} calls after ${WARMUP} warm-up, predict + dataSync inside tidy (the skill's path); 2 shared cores, so the tail carries other processes' load`,
    });
    figures.push({
      name: 'same MLP as bare matMul/add/relu ops (kernel floor, no LayersModel.predict), wasm, p50 / p99',
      value: wasm.kernels_p50,
      unit: 'us',
      baseline: { label: 'p99', value: wasm.kernels_p99 },
      note: `cpu backend: p50 ${cpu.kernels_p50.toFixed(0)} us, p99 ${cpu.kernels_p99.toFixed(0)} us; the gap to predict is the layers API's per-call bookkeeping`,
    });
  } else {
    figures.push({ name: 'MLP 64-256-256-8 latency', value: NaN, unit: 'us', note: `backend unavailable: ${!wasm ? 'wasm ' : ''}${!cpu ? 'cpu' : ''}` });
  }
  figures.push(
    native
      ? { name: 'MLP 64-256-256-8, one sample, tfjs-node backend, p99', value: native.p99, unit: 'us', baseline: { label: 'p50', value: native.p50 } }
      : { name: 'MLP 64-256-256-8, tfjs-node backend', value: NaN, unit: 'us', note: '@tensorflow/tfjs-node is not installed here (its install script downloads libtensorflow)' },
  );
  await useBackend(backend);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printSection } = await import('./report.ts');
  printSection('Policy skill: inference latency and learned task success', await run());
}
