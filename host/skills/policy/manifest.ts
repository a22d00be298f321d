// policy.json: what a learned policy declares (its skill name and task, observation/action features with normalisation stats, model file), parsed with zod.
import { z } from 'zod';
import { ACTION_FEATURES, isActionFeature, isObservationFeature, OBSERVATION_FEATURES, type ActionFeature, type ObservationFeature } from './features.ts';
import { validateJson } from '../../util/read-json.ts';

export const POLICY_FORMAT = 'ganglion.policy/1';

const finite = z.number().finite();

/** One vector element: its feature name and the mean/std the model's inputs or outputs were normalised with. */
const FeatureStats = z.strictObject({
  feature: z.string().min(1),
  mean: finite,
  std: finite.positive(),
});

/** A file inside the model directory: a bare name, so a manifest cannot point outside its folder. */
const LocalFile = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'a file name in the model directory (no folders, no "..")');

export const PolicyManifestSchema = z.strictObject({
  format: z.literal(POLICY_FORMAT),
  /** The skill name the planner calls. */
  name: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'a skill name is 1-48 characters of a-z, 0-9, _ starting with a letter'),
  description: z.string().min(1).max(2000),
  /** What the wrapper around the network does: its args, affordance, done and failed predicates. */
  task: z.strictObject({
    kind: z.literal('reach_point'),
    /** Done when the tip is this close to the target and the arm is still. */
    tip_tolerance_m: z.number().positive().max(0.05),
    timeout_s: z.number().positive().max(600),
  }),
  observation: z.array(FeatureStats).min(1).max(256),
  action: z.array(FeatureStats).min(1).max(64),
  model: LocalFile.default('model.json'),
  /** How it was made and how well it did; `evaluation.success_rate` becomes the skill's affordance. */
  training: z.looseObject({}).optional(),
  evaluation: z.strictObject({ scenes: z.number().int().positive(), success_rate: z.number().min(0).max(1) }).optional(),
});

export type PolicyManifestInput = z.input<typeof PolicyManifestSchema>;
export type PolicyManifest = Omit<z.output<typeof PolicyManifestSchema>, 'observation' | 'action'> & {
  observation: { feature: ObservationFeature; mean: number; std: number }[];
  action: { feature: ActionFeature; mean: number; std: number }[];
};

/** Parses policy.json's content; every error is one sentence naming the file and the field. */
export function parsePolicyManifest(raw: unknown, file: string): PolicyManifest {
  const m = validateJson(raw, PolicyManifestSchema, file);
  m.observation.forEach((f, k) => {
    if (!isObservationFeature(f.feature))
      throw new Error(`${file}: observation.${k}: unknown observation feature "${f.feature}"; known: ${Object.keys(OBSERVATION_FEATURES).join(', ')}`);
  });
  const joints = new Map<string, string>();
  m.action.forEach((f, k) => {
    if (!isActionFeature(f.feature)) throw new Error(`${file}: action.${k}: unknown action feature "${f.feature}"; known: ${Object.keys(ACTION_FEATURES).join(', ')}`);
    const joint = ACTION_FEATURES[f.feature].joint;
    const other = joints.get(joint);
    if (other !== undefined) throw new Error(`${file}: action.${k}: "${f.feature}" and "${other}" both drive joint "${joint}"`);
    joints.set(joint, f.feature);
  });
  const dup = (xs: { feature: string }[]) => xs.find((x, k) => xs.findIndex((y) => y.feature === x.feature) !== k)?.feature;
  const d = dup(m.observation);
  if (d !== undefined) throw new Error(`${file}: observation: feature "${d}" is declared twice`);
  return m as PolicyManifest;
}
