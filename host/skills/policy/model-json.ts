// model.json as TF.js writes a layers model: topology plus a weights manifest, parsed with zod so a corrupt file is refused with a sentence.
import { z } from 'zod';

const WeightSpec = z.looseObject({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()).max(8),
  dtype: z.enum(['float32', 'int32', 'bool']),
  quantization: z
    .looseObject({ dtype: z.enum(['uint8', 'uint16', 'float16']) })
    .optional(),
});
export type WeightSpec = z.output<typeof WeightSpec>;

/** A weights file name inside the model directory: no folders, so model.json cannot reach outside it. */
const WeightsFile = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'a file name in the model directory (no folders, no "..")');

export const ModelJsonSchema = z.looseObject({
  format: z.literal('layers-model', { error: 'must be "layers-model": a policy runs a tf.LayersModel (a graph model cannot be trained or inspected layer by layer)' }).optional(),
  modelTopology: z.looseObject({ class_name: z.string().optional(), config: z.unknown() }).or(z.looseObject({ model_config: z.looseObject({}) })),
  weightsManifest: z.array(z.strictObject({ paths: z.array(WeightsFile).min(1), weights: z.array(WeightSpec) })).min(1),
});
export type ModelJson = z.output<typeof ModelJsonSchema>;

const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 } as const;

/** Bytes a weight occupies in the weights files (quantised weights are stored at their quantised width). */
export function weightBytes(w: WeightSpec): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  return n * DTYPE_BYTES[w.quantization?.dtype ?? w.dtype];
}
