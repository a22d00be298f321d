// `tsx host/demos/train-policy.ts`: records reach demonstrations, trains the MLP by behaviour cloning, saves the model directory with policy.json, and scores it.
import os from 'node:os';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { REACH_ACTION, REACH_OBSERVATION, recordDemos } from './record-demos.ts';
import { readDemos, writeDemos } from './record-file.ts';
import { trainBehaviourCloning } from './train-bc.ts';
import { evalSeeds, scoreReach } from './train-eval.ts';
import { createRegistry } from '../skills/registry.ts';
import { savePolicyDir, POLICY_FILE } from '../skills/policy/model-dir.ts';
import type { PolicyManifestInput } from '../skills/policy/manifest.ts';
import { loadPolicySkill } from '../skills/policy/skill.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { initPolicyBackend } from '../skills/policy/backend.ts';

export const EXAMPLE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'skills', 'policy', 'examples', 'reach');

export interface TrainPolicyOptions {
  out: string;
  /** Demonstration file: recorded there, or read from there when `reuse_demos` and it exists. */
  demos: string;
  reuse_demos?: boolean;
  episodes: number;
  epochs: number;
  hidden: number[];
  seed: number;
  action_noise_rad: number;
  /** Held-out reach tasks the saved policy is scored on; the rate goes into policy.json. 0 skips it. */
  eval_scenes: number;
  name?: string;
  log?: (line: string) => void;
}

export const DEFAULTS: Omit<TrainPolicyOptions, 'out' | 'demos'> = { episodes: 300, epochs: 30, hidden: [64, 64], seed: 1, action_noise_rad: 0.02, eval_scenes: 100 };

/** Record (or reuse) demonstrations, train, save, reload the saved directory as a skill and score it. */
export async function trainPolicy(o: TrainPolicyOptions): Promise<{ val_loss: number; success_rate: number | null; samples: number }> {
  const log = o.log ?? (() => {});
  const backend = await initPolicyBackend();
  let demos;
  if (o.reuse_demos && existsSync(o.demos)) {
    demos = readDemos(o.demos);
    log(`demonstrations: ${demos.episodes.length} episodes read from ${o.demos}`);
  } else {
    demos = recordDemos(1, o.episodes, { observation: REACH_OBSERVATION, action: REACH_ACTION, action_noise_rad: o.action_noise_rad });
    writeDemos(o.demos, demos);
    log(`demonstrations: ${demos.episodes.length} episodes of the scripted reach (seeds 1-${o.episodes}) -> ${o.demos}`);
  }
  const r = await trainBehaviourCloning(demos, {
    hidden: o.hidden,
    epochs: o.epochs,
    seed: o.seed,
    onEpoch: (e, loss, val) => log(`epoch ${e}/${o.epochs}: loss ${loss.toFixed(5)}, val_loss ${val.toFixed(5)} (normalised MSE)`),
  });
  const name = o.name ?? 'reach_learned';
  const manifest: PolicyManifestInput = {
    format: 'ganglion.policy/1',
    name,
    description:
      'Learned reach (behaviour cloning of the scripted reach): move the gripper tip to the world point (x_m, y_m) with the arm; the base stays still. Same reach as `reach`: 0.16-0.22 m from the shoulder, 0.05 m ahead of the base centre.',
    task: { kind: 'reach_point', tip_tolerance_m: 0.005, timeout_s: 9 },
    observation: demos.header.observation.map((feature, k) => ({ feature, mean: r.observation.mean[k]!, std: r.observation.std[k]! })),
    action: demos.header.action.map((feature, k) => ({ feature, mean: r.action.mean[k]!, std: r.action.std[k]! })),
    model: 'model.json',
    training: {
      teacher: demos.header.teacher,
      episodes: r.episodes,
      samples: r.samples,
      action_noise_rad: demos.header.action_noise_rad,
      hidden: o.hidden,
      epochs: r.epochs,
      seed: o.seed,
      backend,
      loss: r.loss,
      val_loss: r.val_loss,
    },
  };
  await savePolicyDir(o.out, r.model, manifest);
  r.model.dispose();
  let success_rate: number | null = null;
  if (o.eval_scenes > 0) {
    // Scored from the saved directory, so what is measured is what ships.
    const registry = createRegistry();
    registry.register(await loadPolicySkill(o.out), o.out);
    const s = scoreReach(registry, name, evalSeeds(o.eval_scenes));
    success_rate = s.success_rate;
    const policyFile = path.join(o.out, POLICY_FILE);
    writeFileAtomic(policyFile, `${JSON.stringify({ ...manifest, evaluation: { scenes: s.scenes, success_rate } }, null, 2)}\n`);
    log(`evaluation: ${Math.round(success_rate * 100)} % of ${s.scenes} held-out reach tasks done within ${s.tolerance_m * 1000} mm (mean ${s.mean_time_s.toFixed(2)} s simulated)`);
  }
  log(`saved ${o.out}`);
  return { val_loss: r.val_loss, success_rate, samples: r.samples };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: EXAMPLE_DIR },
      demos: { type: 'string', default: path.join(os.tmpdir(), 'ganglion-reach-demos.jsonl') },
      'reuse-demos': { type: 'boolean', default: false },
      episodes: { type: 'string', default: String(DEFAULTS.episodes) },
      epochs: { type: 'string', default: String(DEFAULTS.epochs) },
      hidden: { type: 'string', default: DEFAULTS.hidden.join(',') },
      seed: { type: 'string', default: String(DEFAULTS.seed) },
      noise: { type: 'string', default: String(DEFAULTS.action_noise_rad) },
      eval: { type: 'string', default: String(DEFAULTS.eval_scenes) },
    },
  });
  const int = (k: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${k} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
  const noise = Number(values.noise);
  if (!(noise >= 0)) throw new Error(`--noise must be a number >= 0 (rad), got "${values.noise}"`);
  await trainPolicy({
    out: path.resolve(values.out),
    demos: path.resolve(values.demos),
    reuse_demos: values['reuse-demos'],
    episodes: int('episodes', values.episodes, 2),
    epochs: int('epochs', values.epochs, 1),
    hidden: values.hidden.split(',').map((h) => int('hidden', h, 1)),
    seed: int('seed', values.seed, 0),
    action_noise_rad: noise,
    eval_scenes: int('eval', values.eval, 0),
    log: (l) => console.log(l),
  });
}
