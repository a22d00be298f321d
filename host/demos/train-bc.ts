// Behaviour cloning with TF.js: normalisation stats from the demonstrations, a small MLP, model.fit with a seeded shuffle, a held-out validation loss.
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../world/world.ts';
import { initPolicyBackend } from '../skills/policy/backend.ts';
import type { DemoSet } from './record-file.ts';

export interface TrainOptions {
  /** Hidden layer widths (ReLU); the output layer is linear. */
  hidden?: number[];
  epochs?: number;
  batch_size?: number;
  learning_rate?: number;
  /** Episodes (not samples) held out, so validation never sees a tick of a training trajectory. */
  validation_fraction?: number;
  seed?: number;
  onEpoch?: (epoch: number, loss: number, val_loss: number) => void;
}

export interface Stats {
  mean: number[];
  std: number[];
}

export interface TrainResult {
  model: tf.LayersModel;
  observation: Stats;
  action: Stats;
  samples: number;
  episodes: { train: number; validation: number };
  /** Mean squared error in normalised units, last epoch. */
  loss: number;
  val_loss: number;
  epochs: number;
}

/** Per-column mean and std; a constant column gets std 1 so normalising it cannot divide by zero. */
export function columnStats(rows: number[][], width: number): Stats {
  const mean = new Array<number>(width).fill(0);
  const sq = new Array<number>(width).fill(0);
  for (const r of rows) for (let k = 0; k < width; k++) mean[k]! += r[k]!;
  for (let k = 0; k < width; k++) mean[k]! /= Math.max(1, rows.length);
  for (const r of rows) for (let k = 0; k < width; k++) sq[k]! += (r[k]! - mean[k]!) ** 2;
  const std = sq.map((s) => Math.sqrt(s / Math.max(1, rows.length)));
  return { mean, std: std.map((s) => (s > 1e-6 ? s : 1)) };
}

function normalised(rows: number[][], s: Stats, order: number[]): Float32Array {
  const w = s.mean.length;
  const out = new Float32Array(order.length * w);
  order.forEach((i, n) => {
    const r = rows[i]!;
    for (let k = 0; k < w; k++) out[n * w + k] = (r[k]! - s.mean[k]!) / s.std[k]!;
  });
  return out;
}

export function buildMlp(inputs: number, hidden: number[], outputs: number, seed: number): tf.Sequential {
  const model = tf.sequential();
  hidden.forEach((units, i) =>
    model.add(tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + i }), ...(i === 0 ? { inputShape: [inputs] } : {}) })),
  );
  model.add(tf.layers.dense({ units: outputs, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + hidden.length }) }));
  return model;
}

/** Trains an MLP to map the demonstrations' observations to their actions. */
export async function trainBehaviourCloning(demos: DemoSet, o: TrainOptions = {}): Promise<TrainResult> {
  await initPolicyBackend();
  const seed = o.seed ?? 1;
  const rand = seededRandom(seed);
  const eps = demos.episodes.filter((e) => e.obs.length > 0);
  if (eps.length < 2) throw new Error(`behaviour cloning needs at least 2 episodes with data; the demonstrations have ${eps.length}`);
  const nVal = Math.max(1, Math.round(eps.length * (o.validation_fraction ?? 0.1)));
  const trainEps = eps.slice(0, eps.length - nVal);
  const valEps = eps.slice(eps.length - nVal);
  const flat = (xs: typeof eps) => ({ obs: xs.flatMap((e) => e.obs), act: xs.flatMap((e) => e.act) });
  const tr = flat(trainEps);
  const va = flat(valEps);
  const nObs = demos.header.observation.length;
  const nAct = demos.header.action.length;
  // Stats from the training split only: validation must not leak into the model.
  const obsStats = columnStats(tr.obs, nObs);
  const actStats = columnStats(tr.act, nAct);

  const model = buildMlp(nObs, o.hidden ?? [64, 64], nAct, seed);
  model.compile({ optimizer: tf.train.adam(o.learning_rate ?? 3e-3), loss: 'meanSquaredError' });
  const all = tr.obs.map((_, i) => i);
  const vx = tf.tensor2d(normalised(va.obs, obsStats, va.obs.map((_, i) => i)), [va.obs.length, nObs]);
  const vy = tf.tensor2d(normalised(va.act, actStats, va.act.map((_, i) => i)), [va.act.length, nAct]);
  const epochs = o.epochs ?? 30;
  let loss = NaN;
  let val_loss = NaN;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      // Our own seeded shuffle (fit's uses Math.random), so the same seed trains the same model.
      for (let i = all.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [all[i], all[j]] = [all[j]!, all[i]!];
      }
      const x = tf.tensor2d(normalised(tr.obs, obsStats, all), [all.length, nObs]);
      const y = tf.tensor2d(normalised(tr.act, actStats, all), [all.length, nAct]);
      try {
        const h = await model.fit(x, y, { epochs: 1, batchSize: o.batch_size ?? 256, shuffle: false, validationData: [vx, vy], verbose: 0 });
        loss = h.history.loss![0] as number;
        val_loss = h.history.val_loss![0] as number;
      } finally {
        x.dispose();
        y.dispose();
      }
      o.onEpoch?.(epoch + 1, loss, val_loss);
    }
  } finally {
    vx.dispose();
    vy.dispose();
  }
  return {
    model,
    observation: obsStats,
    action: actStats,
    samples: tr.obs.length,
    episodes: { train: trainEps.length, validation: valEps.length },
    loss,
    val_loss,
    epochs,
  };
}
