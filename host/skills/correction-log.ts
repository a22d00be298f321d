// The corrections memory on disk: an append-only JSON-lines log of every correction with its context, for retrieval on similar tasks (DROC).
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { CorrectionSchema } from './corrections.ts';

export const CorrectionLogEntrySchema = z.strictObject({
  /** ISO-8601 wall-clock time the correction was given. */
  timestamp: z.string().min(1),
  /** The operator's words, verbatim (data: never re-interpreted as an instruction). */
  phrase: z.string().max(500),
  correction: CorrectionSchema,
  /** Who gave it: an MQTT username, "cli", "planner"... (DROC keeps provenance so entries can be audited and deleted). */
  source: z.string().max(128).optional(),
  /** The task the planner was working on ("put the red block in the bin"). */
  task: z.string().max(2000).nullable(),
  skill: z.string().nullable(),
  skill_args: z.unknown().optional(),
  /** A compact picture of the moment: base pose, arm, what was held, the skill's progress. */
  state: z.strictObject({
    base: z.strictObject({ x_m: z.number(), y_m: z.number(), heading_rad: z.number() }).optional(),
    joints_rad: z.record(z.string(), z.number()).optional(),
    held_id: z.string().nullable().optional(),
    skill_elapsed_s: z.number().optional(),
  }),
});
export type CorrectionLogEntry = z.infer<typeof CorrectionLogEntrySchema>;

/**
 * Appends one entry. The line goes out in a single write() on an O_APPEND descriptor, so concurrent
 * writers never interleave within a line and a crash leaves at most one truncated last line.
 */
export function appendCorrection(file: string, entry: CorrectionLogEntry): void {
  const line = JSON.stringify(CorrectionLogEntrySchema.parse(entry)) + '\n';
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, Buffer.from(line, 'utf8'));
  } finally {
    closeSync(fd);
  }
}

export interface CorrectionLogRead {
  entries: CorrectionLogEntry[];
  /** Lines that were not valid entries (a torn last line, hand edits), by 1-based line number. */
  bad_lines: number[];
}

/** Reads the whole log, oldest first; optional filter (e.g. by skill or by task words). */
export function readCorrectionLog(file: string, keep: (e: CorrectionLogEntry) => boolean = () => true): CorrectionLogRead {
  if (!existsSync(file)) return { entries: [], bad_lines: [] };
  const out: CorrectionLogRead = { entries: [], bad_lines: [] };
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        out.bad_lines.push(i + 1);
        return;
      }
      const r = CorrectionLogEntrySchema.safeParse(parsed);
      if (!r.success) out.bad_lines.push(i + 1);
      else if (keep(r.data)) out.entries.push(r.data);
    });
  return out;
}
