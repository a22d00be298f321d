// Trains a learned skill from LeRobotDataset v3.0 directories: features checked against the policy catalogue, interventions weighted, a DAgger round from a previous skill, saved as a skill folder.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { initPolicyBackend } from '../skills/policy/backend.ts';
import { isActionFeature } from '../skills/policy/features.ts';
import type { PolicyManifestInput } from '../skills/policy/manifest.ts';
import { loadPolicyDir, POLICY_FILE, readPolicyManifest, savePolicyDir } from '../skills/policy/model-dir.ts';
import { validateJson } from '../util/read-json.ts';
import { trainEpisodes, type BcResult, type TrainEpisode } from './bc.ts';
import { readDataset, type DatasetEpisode } from './dataset.ts';
import { firstActedFrame, selectFeatures } from './features.ts';
import { reachedEpisodes } from './reached.ts';

export interface TrainSkillOptions {
  datasets: string[];
  /** The skill name the planner will call. */
  skill: string;
  /** Where the skill folder goes: OUT/<skill>/ (policy.json, model.json, weights.bin), loadable with `--skills OUT`. */
  out: string;
  /**
   * Policy features (in this order) to read; default: the dataset's observation.state names when they are all policy
   * features, else a reach policy's, derived from an export's joint columns and goal (see learn/features.ts).
   */
  observation?: string[];
  /** Action features; default as for observation (a reach policy's: shoulder and elbow deltas). */
  action?: string[];
  description?: string;
  hidden?: number[];
  epochs?: number;
  patience?: number;
  seed?: number;
  /** Loss weight of a frame where a person had control (RLIF / YAY Robot); 1 treats them like any frame. */
  intervention_weight?: number;
  /**
   * DAgger round: the previous skill folder. Its own training datasets are aggregated with the new ones, its features
   * must match, and training continues from its weights. Of the new datasets (the policy's runs) only the frames where
   * a person had control are kept (HG-DAgger): the frames the policy drove carry its own actions as labels, and
   * training on them drifts the policy toward itself.
   */
  dagger_from?: string;
  /** DAgger round: also train on the frames the policy drove in the new datasets (its own actions as labels). */
  policy_frames?: boolean;
  tip_tolerance_m?: number;
  timeout_s?: number;
  /**
   * [m] A demonstration counts when its tip ended this close to its goal (default 0.01: twice the task's tolerance, so
   * a DAgger round's takeovers, recorded with the goal as perceived, still count); the others are left out.
   */
  reached_radius_m?: number;
  /** Train on every episode, reached or not. */
  all_episodes?: boolean;
  onEpoch?: (epoch: number, epochs: number, loss: number, val_loss: number) => void;
  log?: (line: string) => void;
}

export interface TrainSkillResult {
  dir: string;
  datasets: string[];
  result: Omit<BcResult, 'model'>;
  intervention_frames: number;
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** What a DAgger round reads back from the previous round's policy.json `training`. */
const DaggerTraining = z.looseObject({
  datasets: z.array(z.string()).optional(),
  interventions_only: z.array(z.string()).optional(),
  hidden: z.array(z.number().int().positive()).optional(),
});

/** The previous round's manifest: its features, the datasets it was trained on, and those it took only the interventions of. */
function previousRound(dir: string): { observation: string[]; action: string[]; datasets: string[]; interventions_only: string[]; hidden: number[] | undefined } {
  const file = path.join(dir, POLICY_FILE);
  if (!existsSync(file)) throw new Error(`--dagger ${dir}: ${file} is missing: give the folder of a skill \`ganglion train\` wrote`);
  const m = readPolicyManifest(dir);
  // `training` is open-ended in policy.json (how a skill was made); what DAgger reuses from it is checked here.
  const training = validateJson(m.training ?? {}, DaggerTraining, `${file} training`);
  return {
    observation: m.observation.map((f) => f.feature), action: m.action.map((f) => f.feature),
    datasets: training.datasets ?? [], interventions_only: training.interventions_only ?? [], hidden: training.hidden,
  };
}

/** The frames of an episode that training uses: all from `from`, or only those where a person had control. */
function framesOf(e: DatasetEpisode, from: number, interventionsOnly: boolean): number[] {
  const all = Array.from({ length: e.obs.length - from }, (_, k) => from + k);
  return interventionsOnly ? all.filter((i) => e.intervention[i]) : all;
}

/** Reads the datasets, trains, and writes OUT/<skill>/; every refusal is one sentence naming the dataset or folder and the feature. */
export async function trainSkill(o: TrainSkillOptions): Promise<TrainSkillResult> {
  const log = o.log ?? (() => {});
  const prev = o.dagger_from ? previousRound(o.dagger_from) : null;
  // DAgger aggregates: the earlier rounds' data stays in, so the policy does not forget what it was taught.
  const dirs = [...new Set([...(prev?.datasets ?? []), ...o.datasets.map((d) => path.resolve(d))])];
  if (dirs.length === 0) throw new Error('no dataset given: ganglion train DATASET --skill NAME');
  // HG-DAgger: a round's own datasets give only their interventions, in this round and in every later one.
  const earlier = new Set(prev?.datasets ?? []);
  const interventionsOnly = new Set([
    ...(prev?.interventions_only ?? []),
    ...(prev && !o.policy_frames ? dirs.filter((d) => !earlier.has(d)) : []),
  ]);
  if (o.policy_frames && !prev) throw new Error('--policy-frames is for a DAgger round: give --dagger PREV too');
  const weightI = o.intervention_weight ?? 1;
  if (!(weightI > 0)) throw new Error(`--intervention-weight ${weightI}: must be a number > 0`);
  const episodes: TrainEpisode[] = [];
  let names: { obs: string[]; act: string[] } | null = prev ? { obs: prev.observation, act: prev.action } : null;
  let interventions = 0;
  let fps = 0;
  for (const d of dirs) {
    const ds = await readDataset(d);
    const f = selectFeatures(ds, { ...((o.observation ?? names?.obs) ? { observation: o.observation ?? names!.obs } : {}), ...((o.action ?? names?.act) ? { action: o.action ?? names!.act } : {}) });
    if (names && !(same(f.obs, names.obs) && same(f.act, names.act)))
      throw new Error(
        `${d}: its features do not match ${prev ? `the skill in ${o.dagger_from}` : dirs[0]}: observation ${f.obs.join(', ')} / action ${f.act.join(', ')} vs observation ${names.obs.join(', ')} / action ${names.act.join(', ')}`,
      );
    names = { obs: f.obs, act: f.act };
    fps = ds.fps;
    // Raw joint targets (an export of a recording): the frames before the demonstrator first acted are left out.
    const trim = !ds.action_names.every(isActionFeature);
    const radius = o.reached_radius_m ?? 0.01;
    const r = reachedEpisodes(ds, radius);
    if (r.told) {
      log(`dataset ${d}: ${r.reached} of ${ds.episodes.length} episodes end within ${radius * 1000} mm of their goal${o.all_episodes ? ' (training on all, --all-episodes)' : '; the others are left out'}`);
      if (r.reached === 0 && !o.all_episodes)
        throw new Error(`${d}: none of its ${ds.episodes.length} demonstrations ends within ${radius * 1000} mm of its goal: re-record them (on a loaded machine the emulated robot falls behind the person) or pass --all-episodes`);
    }
    const onlyI = interventionsOnly.has(d);
    let kept = 0;
    for (const e of o.all_episodes ? ds.episodes : r.kept) {
      // A takeover's frames are all the person's: nothing before them to trim.
      const frames = framesOf(e, trim && !onlyI ? firstActedFrame(e) : 0, onlyI);
      if (frames.length === 0) continue;
      kept += frames.length;
      interventions += frames.reduce((a, i) => a + e.intervention[i]!, 0);
      episodes.push({
        obs: frames.map((i) => f.obsRead.map((r) => r(e, i))),
        act: frames.map((i) => f.actRead.map((r) => r(e, i))),
        weight: frames.map((i) => (e.intervention[i] ? weightI : 1)),
      });
    }
    log(`dataset ${d}: ${ds.episodes.length} episodes, ${ds.episodes.reduce((a, e) => a + e.obs.length, 0)} frames at ${ds.fps} Hz`);
    if (onlyI)
      log(`dataset ${d}: a DAgger round's runs: ${kept} frames where a person had control are kept, the frames the policy drove are left out (HG-DAgger; --policy-frames keeps them)`);
  }
  const backend = await initPolicyBackend();
  const init = o.dagger_from ? (await loadPolicyDir(o.dagger_from)).model : undefined;
  const hidden = o.hidden ?? prev?.hidden ?? [64, 64];
  const r = await trainEpisodes(episodes, names!.obs.length, names!.act.length, {
    hidden,
    epochs: o.epochs ?? 60,
    patience: o.patience ?? 8,
    seed: o.seed ?? 1,
    ...(init ? { init } : {}),
    ...(o.onEpoch ? { onEpoch: o.onEpoch } : {}),
  });
  init?.dispose();
  const dir = path.join(path.resolve(o.out), o.skill);
  const manifest: PolicyManifestInput = {
    format: 'ganglion.policy/1',
    name: o.skill,
    description:
      o.description ??
      `Learned reach (behaviour cloning of ${episodes.length} demonstrations): move the gripper tip to the world point (x_m, y_m) with the arm; the base stays still.`,
    task: { kind: 'reach_point', tip_tolerance_m: o.tip_tolerance_m ?? 0.005, timeout_s: o.timeout_s ?? 9 },
    observation: names!.obs.map((feature, k) => ({ feature, mean: r.observation.mean[k]!, std: r.observation.std[k]! })),
    action: names!.act.map((feature, k) => ({ feature, mean: r.action.mean[k]!, std: r.action.std[k]! })),
    model: 'model.json',
    training: {
      datasets: dirs,
      interventions_only: dirs.filter((d) => interventionsOnly.has(d)),
      fps,
      episodes: r.episodes,
      samples: r.samples,
      intervention_frames: interventions,
      intervention_weight: weightI,
      dagger_from: o.dagger_from ? path.resolve(o.dagger_from) : null,
      hidden,
      epochs: r.epochs,
      best_epoch: r.best_epoch,
      stopped_early: r.stopped_early,
      seed: o.seed ?? 1,
      backend,
      loss: r.loss,
      val_loss: r.val_loss,
    },
  };
  await savePolicyDir(dir, r.model, manifest);
  r.model.dispose();
  const { model: _, ...result } = r;
  log(`saved ${dir} (best epoch ${r.best_epoch} of ${r.epochs}${r.stopped_early ? ', stopped early' : ''}, val_loss ${r.val_loss.toFixed(5)})`);
  return { dir, datasets: dirs, result, intervention_frames: interventions };
}
