// A loaded policy: normalises an observation vector, runs the LayersModel synchronously, denormalises the action vector; no tensor outlives a call.
import * as tf from '@tensorflow/tfjs';
import type { ActionFeature, ObservationFeature } from './features.ts';
import type { PolicyManifest } from './manifest.ts';
import { compileDenseMlp, type DenseForward } from './dense-mlp.ts';
import { loadPolicyDir } from './model-dir.ts';

/**
 * One sample through a LayersModel, synchronously: predict + dataSync inside tidy, so the input and
 * output tensors are disposed before it returns. The benchmark times exactly this.
 */
export function predictOne(model: tf.LayersModel, x: Float32Array): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor2d(x, [1, x.length])) as tf.Tensor).dataSync() as Float32Array);
}

export class Policy {
  readonly observation: readonly ObservationFeature[];
  readonly action: readonly ActionFeature[];
  private readonly obsMean: Float32Array;
  private readonly obsStd: Float32Array;
  private readonly actMean: Float32Array;
  private readonly actStd: Float32Array;
  /** Reused every call: inference runs once per control tick and must not allocate more than TF.js does. */
  private readonly xNorm: Float32Array;
  private readonly out: Float32Array;
  /** A plain Dense stack runs as a JS loop over its weights (no per-call tensors, no GC tail); others stay on TF.js. */
  private readonly forward: DenseForward;
  readonly engine: 'dense-js' | 'tfjs';

  constructor(
    readonly manifest: PolicyManifest,
    readonly model: tf.LayersModel,
    readonly dir: string,
  ) {
    this.observation = manifest.observation.map((f) => f.feature);
    this.action = manifest.action.map((f) => f.feature);
    this.obsMean = Float32Array.from(manifest.observation, (f) => f.mean);
    this.obsStd = Float32Array.from(manifest.observation, (f) => f.std);
    this.actMean = Float32Array.from(manifest.action, (f) => f.mean);
    this.actStd = Float32Array.from(manifest.action, (f) => f.std);
    this.xNorm = new Float32Array(this.observation.length);
    this.out = new Float32Array(this.action.length);
    const dense = compileDenseMlp(model);
    this.engine = dense ? 'dense-js' : 'tfjs';
    this.forward = dense ?? ((x) => predictOne(model, x));
    // A probe at the mean observation: a model that outputs NaN there is refused now, not at the first step.
    const probe = this.act(this.obsMean);
    const bad = probe.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${dir}: the model outputs a non-finite ${this.action[bad]} for the mean observation: the weights are corrupt`);
  }

  /**
   * One observation vector (raw units, in the declared order) -> one action vector (raw units). Synchronous
   * (predict + dataSync) so it can run inside a skill's step; returns a buffer reused by the next call.
   * Throws when an observation value is not finite (an unknown joint reading), naming the feature.
   */
  act(obs: ArrayLike<number>): Float32Array {
    const n = this.observation.length;
    if (obs.length !== n) throw new Error(`policy "${this.manifest.name}": observation has ${obs.length} values, the model takes ${n}`);
    for (let k = 0; k < n; k++) {
      const v = obs[k]!;
      if (!Number.isFinite(v)) throw new Error(`policy "${this.manifest.name}": observation feature ${this.observation[k]} is ${v}`);
      this.xNorm[k] = (v - this.obsMean[k]!) / this.obsStd[k]!;
    }
    const y = this.forward(this.xNorm);
    for (let k = 0; k < this.out.length; k++) this.out[k] = y[k]! * this.actStd[k]! + this.actMean[k]!;
    return this.out;
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Loads a model directory (see model-dir.ts for what is checked) as a ready-to-run policy. */
export async function loadPolicy(dir: string): Promise<Policy> {
  const l = await loadPolicyDir(dir);
  try {
    return new Policy(l.manifest, l.model, l.dir);
  } catch (e) {
    l.model.dispose();
    throw e;
  }
}
