// The demonstration file: JSON lines, a header line (features, teacher, rate) then one episode per line; written atomically, parsed with zod naming the line.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { zodIssue } from '../util/zod-issue.ts';

export const DEMO_FORMAT = 'ganglion.demos/1';

const finite = z.number().finite();

const HeaderSchema = z.strictObject({
  format: z.literal(DEMO_FORMAT),
  /** The scripted skill that produced the actions. */
  teacher: z.string().min(1),
  rate_hz: z.number().positive(),
  observation: z.array(z.string().min(1)).min(1),
  action: z.array(z.string().min(1)).min(1),
  action_noise_rad: z.number().nonnegative(),
});

const EpisodeSchema = z.strictObject({
  seed: z.number().int(),
  target: z.strictObject({ x_m: finite, y_m: finite }),
  /** One row per control tick, in the header's feature order. */
  obs: z.array(z.array(finite)),
  act: z.array(z.array(finite)),
  /** Whether the teacher finished (a demo that timed out is kept but flagged). */
  done: z.boolean(),
});

export type DemoHeader = z.output<typeof HeaderSchema>;
export type DemoEpisode = z.output<typeof EpisodeSchema>;
export interface DemoSet {
  header: DemoHeader;
  episodes: DemoEpisode[];
}

/** 7 significant digits: float32 precision, which is all training uses, at half the text. */
const compact = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(7)) : v);

export function writeDemos(file: string, demos: DemoSet): void {
  const lines = [JSON.stringify(HeaderSchema.parse(demos.header)), ...demos.episodes.map((e) => JSON.stringify(e, compact))];
  writeFileAtomic(file, `${lines.join('\n')}\n`);
}

/** Reads a demonstration file; an error names the file, the line and the field. */
export function readDemos(file: string): DemoSet {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${file} is empty: a demonstration file starts with a header line`);
  const parse = <T>(schema: z.ZodType<T>, line: string, n: number): T => {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${n}: not valid JSON (${(e as Error).message})`);
    }
    const r = schema.safeParse(raw);
    if (!r.success) {
      throw new Error(`${file}:${n}: ${zodIssue(r.error)}`);
    }
    return r.data;
  };
  const header = parse(HeaderSchema, lines[0]!, 1);
  const episodes = lines.slice(1).map((l, k) => {
    const e = parse(EpisodeSchema, l, k + 2);
    if (e.obs.length !== e.act.length) throw new Error(`${file}:${k + 2}: ${e.obs.length} observations but ${e.act.length} actions`);
    const badObs = e.obs.findIndex((r) => r.length !== header.observation.length);
    if (badObs >= 0) throw new Error(`${file}:${k + 2}: obs.${badObs} has ${e.obs[badObs]!.length} values; the header declares ${header.observation.length} observation features`);
    const badAct = e.act.findIndex((r) => r.length !== header.action.length);
    if (badAct >= 0) throw new Error(`${file}:${k + 2}: act.${badAct} has ${e.act[badAct]!.length} values; the header declares ${header.action.length} action features`);
    return e;
  });
  return { header, episodes };
}
