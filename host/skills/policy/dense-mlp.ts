// A pure-JS forward pass for models made only of Dense layers: weights copied once at load, buffers reused, no tensor or allocation per call.
import type * as tf from '@tensorflow/tfjs';

/** Activations a Dense layer may carry here, as data: anything else leaves the model on TF.js. */
const ACTIVATIONS: Record<string, ((v: number) => number) | null> = {
  linear: null,
  relu: (v) => (v > 0 ? v : 0),
  tanh: Math.tanh,
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
};

interface DenseLayer {
  inputs: number;
  units: number;
  /** Row-major [inputs, units], as TF.js stores a Dense kernel. */
  kernel: Float32Array;
  bias: Float32Array;
  activation: ((v: number) => number) | null;
  out: Float32Array;
}

/** One sample through the layers; returns the last layer's buffer (overwritten by the next call). */
export type DenseForward = (x: Float32Array) => Float32Array;

/**
 * Why: for a small MLP (tens of thousands of multiply-adds) TF.js's per-call cost (tensor creation, kernel
 * dispatch, tidy bookkeeping, garbage) is most of the time and all of the tail; a plain loop over the same
 * weights allocates nothing, so it has no GC tail. Returns null when the model is not a plain Dense stack.
 */
export function compileDenseMlp(model: tf.LayersModel): DenseForward | null {
  const layers: DenseLayer[] = [];
  for (const l of model.layers) {
    if (l.getClassName() === 'InputLayer') continue;
    if (l.getClassName() !== 'Dense') return null;
    const cfg = l.getConfig() as { activation?: string; useBias?: boolean };
    const act = cfg.activation ?? 'linear';
    if (!(act in ACTIVATIONS)) return null;
    const w = l.getWeights();
    const k = w[0];
    if (!k || k.shape.length !== 2) return null;
    const [inputs, units] = k.shape as [number, number];
    const bias = cfg.useBias === false || !w[1] ? new Float32Array(units) : (w[1].dataSync() as Float32Array).slice();
    if (layers.length && layers[layers.length - 1]!.units !== inputs) return null;
    layers.push({ inputs, units, kernel: (k.dataSync() as Float32Array).slice(), bias, activation: ACTIVATIONS[act]!, out: new Float32Array(units) });
  }
  if (!layers.length) return null;
  const width = layers[0]!.inputs;
  return (x) => {
    if (x.length !== width) throw new Error(`dense MLP: input has ${x.length} values, the first layer takes ${width}`);
    let h = x;
    for (const L of layers) {
      const { inputs, units, kernel, out, activation } = L;
      out.set(L.bias);
      // Row by row over the kernel: sequential memory, one multiply-add per weight.
      for (let i = 0; i < inputs; i++) {
        const xi = h[i]!;
        if (xi === 0) continue; // after relu about half the inputs are zero
        const row = i * units;
        for (let j = 0; j < units; j++) out[j]! += xi * kernel[row + j]!;
      }
      if (activation) for (let j = 0; j < units; j++) out[j] = activation(out[j]!);
      h = out;
    }
    return h;
  };
}
