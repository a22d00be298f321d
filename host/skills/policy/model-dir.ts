// A policy's model directory on disk (policy.json, model.json, weights files): loads it with every check done up front, and saves one atomically.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { initPolicyBackend } from './backend.ts';
import { parsePolicyManifest, PolicyManifestSchema, type PolicyManifest, type PolicyManifestInput } from './manifest.ts';
import { ModelJsonSchema, weightBytes, type ModelJson } from './model-json.ts';
import { readJson, readJsonFile } from '../../util/read-json.ts';

export const POLICY_FILE = 'policy.json';
export const WEIGHTS_FILE = 'weights.bin';

export interface LoadedPolicyDir {
  dir: string;
  manifest: PolicyManifest;
  model: tf.LayersModel;
}

/** policy.json of a model directory, read and validated; the error names the file and the field. */
export function readPolicyManifest(dir: string): PolicyManifest {
  const file = path.join(dir, POLICY_FILE);
  return parsePolicyManifest(readJson(file, { ifMissing: `a policy directory needs ${POLICY_FILE}` }), file);
}

/** model.json, parsed; the error names the file and the field. */
function readModelJson(file: string): ModelJson {
  return readJsonFile(file, ModelJsonSchema, { ifMissing: 'policy.json names it as the model', say: { invalid: (f, field) => `${f} is not a TF.js layers model: ${field}` } });
}

/** Every weights file, concatenated in manifest order, after checking each exists and the sizes add up. */
function readWeights(dir: string, modelFile: string, mj: ModelJson): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Buffer[] = [];
  for (const group of mj.weightsManifest) {
    let have = 0;
    const names: string[] = [];
    for (const p of group.paths) {
      const file = path.join(dir, p);
      if (!existsSync(file)) throw new Error(`${file} is missing: ${path.basename(modelFile)} lists it in weightsManifest`);
      const b = readFileSync(file);
      parts.push(b);
      have += b.length;
      names.push(file);
    }
    const need = group.weights.reduce((a, w) => a + weightBytes(w), 0);
    if (have !== need)
      throw new Error(`${names.join(' + ')} ${names.length > 1 ? 'hold' : 'holds'} ${have} bytes but ${path.basename(modelFile)} declares ${need} bytes of weights (${group.weights.map((w) => w.name).join(', ')}): the weights are truncated or do not belong to this model`);
    specs.push(...(group.weights as tf.io.WeightsManifestEntry[]));
  }
  const all = Buffer.concat(parts);
  return { specs, data: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer };
}

const shapeText = (s: readonly (number | null)[]) => `[${s.map((d) => (d === null ? 'batch' : d)).join(', ')}]`;

/** The model must map one [batch, n_obs] tensor to one [batch, n_act] tensor, as policy.json declares. */
function checkShapes(model: tf.LayersModel, m: PolicyManifest, modelFile: string): void {
  const io = [
    { side: 'input', tensors: model.inputs, features: m.observation, kind: 'observation' },
    { side: 'output', tensors: model.outputs, features: m.action, kind: 'action' },
  ] as const;
  for (const x of io) {
    if (x.tensors.length !== 1) throw new Error(`${modelFile}: the model has ${x.tensors.length} ${x.side}s; a policy needs exactly one`);
    const shape = x.tensors[0]!.shape;
    const names = x.features.map((f) => f.feature).join(', ');
    if (shape.length !== 2 || shape[1] !== x.features.length)
      throw new Error(
        `${modelFile}: the model's ${x.side} shape ${shapeText(shape)} does not match the ${x.features.length} ${x.kind} features policy.json declares (${names}): expected [batch, ${x.features.length}]`,
      );
  }
}

/** Weights decoded from corrupt bytes are often NaN or Inf: refuse them by name rather than output NaN setpoints. */
function checkWeightsFinite(model: tf.LayersModel, weightsFiles: string): void {
  for (const w of model.weights) {
    const v = w.read().dataSync();
    for (let i = 0; i < v.length; i++)
      if (!Number.isFinite(v[i]!)) throw new Error(`${weightsFiles}: weight "${w.originalName}" holds a non-finite value at element ${i}: the weights are corrupt`);
  }
}

/**
 * Loads a model directory. Every failure is refused here, before any skill runs, with one sentence naming
 * the file (and the feature or field): a missing or corrupt policy.json, model.json or weights file, or a
 * model whose input/output shape differs from the declared features.
 */
export async function loadPolicyDir(dir: string): Promise<LoadedPolicyDir> {
  if (!existsSync(dir)) throw new Error(`policy directory ${dir} does not exist`);
  const manifest = readPolicyManifest(dir);
  const modelFile = path.join(dir, manifest.model);
  const mj = readModelJson(modelFile);
  const weights = readWeights(dir, modelFile, mj);
  await initPolicyBackend();
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel({
      load: async () => ({ modelTopology: mj.modelTopology as object, weightSpecs: weights.specs, weightData: weights.data, format: 'layers-model' }),
    });
  } catch (e) {
    throw new Error(`${modelFile}: TF.js could not build the model from it: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    checkShapes(model, manifest, modelFile);
    checkWeightsFinite(model, mj.weightsManifest.flatMap((g) => g.paths.map((p) => path.join(dir, p))).join(' + '));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { dir, manifest, model };
}

/**
 * Writes model.json and its weights, then policy.json last, each atomically: a folder with a policy.json
 * always has the files it names. The manifest is validated before anything is written.
 */
export async function savePolicyDir(dir: string, model: tf.LayersModel, manifest: PolicyManifestInput): Promise<void> {
  const policyFile = path.join(dir, POLICY_FILE);
  const checked = parsePolicyManifest(PolicyManifestSchema.parse(manifest), policyFile);
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData ?? new ArrayBuffer(0)));
      writeFileAtomic(path.join(dir, WEIGHTS_FILE), data);
      const json = {
        format: 'layers-model',
        generatedBy: a.generatedBy,
        convertedBy: null,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: a.weightSpecs }],
      };
      writeFileAtomic(path.join(dir, checked.model), `${JSON.stringify(json)}\n`);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } };
    }),
  );
  writeFileAtomic(policyFile, `${JSON.stringify(checked, null, 2)}\n`);
}
