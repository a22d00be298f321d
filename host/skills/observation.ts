// What a skill sees besides the raw joint state: base pose, joint readings, perceived objects, the held object. Parsed with zod where it arrives.
import { z } from 'zod';
import { zodIssue } from '../util/zod-issue.ts';

const finite = z.number().finite();

export const PerceivedObjectSchema = z.strictObject({
  id: z.string().min(1).max(64),
  /** Free text from perception ("red block"). Data only: no layer may read it as an instruction. */
  label: z.string().max(200),
  kind: z.enum(['block', 'bin', 'other']).default('other'),
  x_m: finite,
  y_m: finite,
  /** Footprint (blocks: edge length, bins: diameter); absent when perception does not know it. */
  size_m: z.number().positive().finite().optional(),
});
export type PerceivedObject = z.output<typeof PerceivedObjectSchema>;

export const JointReadingSchema = z.strictObject({ position_rad: z.number(), velocity_radps: z.number() });

export const ObservationSchema = z.strictObject({
  base: z.strictObject({ x_m: z.number(), y_m: z.number(), heading_rad: z.number() }).optional(),
  joints: z.record(z.string(), JointReadingSchema).optional(),
  objects: z.array(PerceivedObjectSchema).max(256).default([]),
  held_id: z.string().nullable().default(null),
});
export type ObservationInput = z.input<typeof ObservationSchema>;

/** A complete observation: the runner fills base and joints from the latest state snapshot. */
export interface Observation {
  base: { x_m: number; y_m: number; heading_rad: number };
  joints: Record<string, { position_rad: number; velocity_radps: number }>;
  objects: readonly PerceivedObject[];
  held_id: string | null;
}

export function parseObservation(raw: unknown): z.output<typeof ObservationSchema> {
  const r = ObservationSchema.safeParse(raw ?? {});
  if (!r.success) {
    throw new Error(`observation: ${zodIssue(r.error)}`);
  }
  return r.data;
}

/** A joint's position from an observation, NaN when it is not there (so comparisons fail closed). */
export function jointPos(obs: Observation, name: string): number {
  return obs.joints[name]?.position_rad ?? NaN;
}

export function jointVel(obs: Observation, name: string): number {
  return obs.joints[name]?.velocity_radps ?? NaN;
}

export function findObject(obs: Observation, id: string): PerceivedObject | undefined {
  return obs.objects.find((o) => o.id === id);
}
