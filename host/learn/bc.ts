// Behaviour cloning with TF.js: episode-level train/validation split, normalisation stats, a small MLP, a seeded weighted-MSE loop with early stopping.
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../world/world.ts';
import { initPolicyBackend } from '../skills/policy/backend.ts';

/** One demonstration: a row per frame, and per frame how much it counts in the loss (interventions weigh more). */
export interface TrainEpisode {
  obs: number[][];
  act: number[][];
  /** Per-frame loss weight (default 1 each). */
  weight?: number[];
}

export interface BcOptions {
  /** Hidden layer widths (ReLU); the output layer is linear. */
  hidden?: number[];
  /** Upper bound; early stopping may end sooner. */
  epochs?: number;
  batch_size?: number;
  learning_rate?: number;
  /** Episodes (not frames) held out, so validation never sees a frame of a training trajectory. */
  validation_fraction?: number;
  /** Stop when validation loss has not improved for this many epochs, and keep the best epoch's weights. 0: never stop early. */
  patience?: number;
  seed?: number;
  /** Start from these weights (a DAgger round continues the previous policy) instead of a fresh initialisation. */
  init?: tf.LayersModel;
  onEpoch?: (epoch: number, epochs: number, loss: number, val_loss: number) => void;
}

export interface Stats {
  mean: number[];
  std: number[];
}

export interface BcResult {
  model: tf.LayersModel;
  observation: Stats;
  action: Stats;
  samples: number;
  episodes: { train: number; validation: number };
  /** Weighted mean squared error in normalised units at the kept epoch. */
  loss: number;
  /** Unweighted, on the held-out episodes, at the kept epoch (the best one). */
  val_loss: number;
  /** Epochs run, and the one whose weights were kept. */
  epochs: number;
  best_epoch: number;
  stopped_early: boolean;
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

function normalised(rows: number[][], s: Stats): Float32Array {
  const w = s.mean.length;
  const out = new Float32Array(rows.length * w);
  rows.forEach((r, n) => {
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

function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** Held-out episodes chosen by a seeded shuffle, so validation is not always the last recorded (maybe the most practised) ones. */
export function splitEpisodes<T>(eps: readonly T[], fraction: number, seed: number): { train: T[]; validation: T[] } {
  const order = shuffle(eps.map((_, i) => i), seededRandom(seed ^ 0x51ab));
  const nVal = Math.min(eps.length - 1, Math.max(1, Math.round(eps.length * fraction)));
  const val = new Set(order.slice(0, nVal));
  return { train: eps.filter((_, i) => !val.has(i)), validation: eps.filter((_, i) => val.has(i)) };
}

/** Copies of a model's weights (the best epoch's, for early stopping). */
const snapshot = (m: tf.LayersModel) => m.getWeights().map((w) => w.clone());

/** Trains an MLP mapping observations to actions; each episode's frames count by their weight in the loss. */
export async function trainEpisodes(episodes: readonly TrainEpisode[], nObs: number, nAct: number, o: BcOptions = {}): Promise<BcResult> {
  await initPolicyBackend();
  const seed = o.seed ?? 1;
  const rand = seededRandom(seed);
  const eps = episodes.filter((e) => e.obs.length > 0);
  if (eps.length < 2) throw new Error(`behaviour cloning needs at least 2 episodes with data (one is held out for validation); got ${eps.length}`);
  const split = splitEpisodes(eps, o.validation_fraction ?? 0.1, seed);
  const flat = (xs: TrainEpisode[]) => ({ obs: xs.flatMap((e) => e.obs), act: xs.flatMap((e) => e.act), w: xs.flatMap((e) => e.weight ?? e.obs.map(() => 1)) });
  const tr = flat(split.train);
  const va = flat(split.validation);
  // Stats from the training split only: validation must not leak into the model.
  const obsStats = columnStats(tr.obs, nObs);
  const actStats = columnStats(tr.act, nAct);
  const X = normalised(tr.obs, obsStats);
  const Y = normalised(tr.act, actStats);
  const W = Float32Array.from(tr.w);

  const model = buildMlp(nObs, o.hidden ?? [64, 64], nAct, seed);
  if (o.init) model.setWeights(o.init.getWeights());
  const optimizer = tf.train.adam(o.learning_rate ?? 3e-3);
  const vx = tf.tensor2d(normalised(va.obs, obsStats), [va.obs.length, nObs]);
  const vy = tf.tensor2d(normalised(va.act, actStats), [va.act.length, nAct]);
  const epochs = o.epochs ?? 30;
  const patience = o.patience ?? 5;
  const batch = o.batch_size ?? 256;
  const n = tr.obs.length;
  const order = Array.from({ length: n }, (_, i) => i);
  let best = { val_loss: Infinity, loss: NaN, epoch: 0, weights: [] as tf.Tensor[] };
  let ran = 0;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      // Our own seeded shuffle, so the same seed trains the same model.
      shuffle(order, rand);
      let lossSum = 0;
      for (let b = 0; b < n; b += batch) {
        const idx = order.slice(b, b + batch);
        const xb = new Float32Array(idx.length * nObs);
        const yb = new Float32Array(idx.length * nAct);
        const wb = new Float32Array(idx.length);
        idx.forEach((i, r) => {
          xb.set(X.subarray(i * nObs, (i + 1) * nObs), r * nObs);
          yb.set(Y.subarray(i * nAct, (i + 1) * nAct), r * nAct);
          wb[r] = W[i]!;
        });
        const cost = tf.tidy(() => {
          const x = tf.tensor2d(xb, [idx.length, nObs]);
          const y = tf.tensor2d(yb, [idx.length, nAct]);
          const w = tf.tensor1d(wb);
          return optimizer.minimize(() => {
            const pred = model.apply(x, { training: true }) as tf.Tensor2D;
            return tf.div(tf.sum(tf.mul(tf.mean(tf.square(tf.sub(pred, y)), 1), w)), tf.maximum(tf.sum(w), 1e-9)) as tf.Scalar;
          }, true)!;
        });
        lossSum += cost.dataSync()[0]! * idx.length;
        cost.dispose();
      }
      const loss = lossSum / n;
      const val_loss = tf.tidy(() => tf.mean(tf.square(tf.sub(model.predict(vx) as tf.Tensor, vy))).dataSync()[0]!);
      ran = epoch;
      o.onEpoch?.(epoch, epochs, loss, val_loss);
      if (val_loss < best.val_loss) {
        best.weights.forEach((w) => w.dispose());
        best = { val_loss, loss, epoch, weights: snapshot(model) };
      } else if (patience > 0 && epoch - best.epoch >= patience) break;
    }
    model.setWeights(best.weights);
  } finally {
    best.weights.forEach((w) => w.dispose());
    vx.dispose();
    vy.dispose();
    optimizer.dispose();
  }
  return {
    model,
    observation: obsStats,
    action: actStats,
    samples: n,
    episodes: { train: split.train.length, validation: split.validation.length },
    loss: best.loss,
    val_loss: best.val_loss,
    epochs: ran,
    best_epoch: best.epoch,
    stopped_early: ran < epochs,
  };
}
