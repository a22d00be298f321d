// DROC corrections memory: corrections with their outcomes and source, in an atomically rewritten JSON-lines file; list, delete, import, retrieve by similarity.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { readCorrectionLog } from '../skills/correction-log.ts';
import { CorrectionSchema } from '../skills/corrections.ts';
import { writeFileAtomic, writeFileAtomicAsync } from '../util/atomic-write.ts';
import { withFileLock, withFileLockSync } from '../util/file-lock.ts';
import { tfidfScores } from './retrieval.ts';

export const MEMORY_ENV = 'GANGLION_MEMORY_FILE';
export const defaultMemoryFile = (env: NodeJS.ProcessEnv = process.env) => env[MEMORY_ENV] ?? path.join(homedir(), '.ganglion', 'memory.jsonl');

const StepOutcome = z.enum(['done', 'failed', 'timeout', 'cancelled', 'refused']);
const TaskOutcome = z.enum(['done', 'failed', 'cancelled']);

export const MemoryEntrySchema = z.strictObject({
  id: z.string().regex(/^m[0-9a-f]{8,32}$/, 'an id: m followed by hex digits'),
  /** ISO-8601 time it was stored. */
  created_at: z.string().min(1).max(40),
  /** Who gave it: an operator name, "mqtt:<user>", "cli", "import:<file>". */
  source: z.string().min(1).max(100),
  /** The operator's words, verbatim. Data: shown to the planner inside a data block, never as an instruction. */
  phrase: z.string().max(500),
  correction: CorrectionSchema.optional(),
  task: z.string().max(2000).nullable(),
  skill: z.string().max(64).nullable(),
  skill_args: z.unknown().optional(),
  /** How the skill run it adjusted ended, and how the task ended (null while unknown). */
  outcome: z.strictObject({ step: StepOutcome.nullable(), task: TaskOutcome.nullable() }),
  /** The correction-log line it was imported from (timestamp + phrase), so an import runs once. */
  log_key: z.string().max(600).optional(),
});
export type MemoryEntry = z.infer<typeof MemoryEntrySchema>;
export type NewMemoryEntry = Omit<MemoryEntry, 'id' | 'created_at' | 'outcome'> & { outcome?: MemoryEntry['outcome'] };

export interface MemoryHit {
  entry: MemoryEntry;
  /** TF-IDF cosine of the entry's task, skill and phrase against the new task, in [0, 1]. */
  score: number;
}

export interface MemoryRead {
  entries: MemoryEntry[];
  /** 1-based lines that are not valid entries (hand edits, another version): kept on rewrite, never parsed as entries. */
  bad_lines: number[];
}

/**
 * The store. Every operation re-reads the file and rewrites it whole (temp file + rename), so a reader
 * never sees half a file and a `ganglion memory delete` between two planner writes is not undone.
 * Each read-modify-write holds `<file>.lock`, so writers in several processes (the robot's planner,
 * `ganglion plan`, `ganglion memory`) take turns and none loses another's update.
 * The planner uses the *Async methods, queued in order, so no disk write (an fsync on an SD card can take
 * tens of ms) blocks the thread that also serves the MCU links; the CLI uses the synchronous ones.
 */
export class MemoryStore {
  private queue: Promise<unknown> = Promise.resolve();
  private reported = '';

  /** onProblem hears, once per change, that the file has lines that are not entries (badLinesProblem's sentence). */
  constructor(
    readonly file: string = defaultMemoryFile(),
    private readonly onProblem: ((sentence: string) => void) | null = null,
  ) {}

  read(): MemoryRead & { raw: string[] } {
    const r = parseLines(existsSync(this.file) ? readFileSync(this.file, 'utf8') : null);
    const key = r.bad_lines.join(',');
    if (key !== this.reported) {
      this.reported = key;
      const problem = badLinesProblem(this.file, r.bad_lines);
      if (problem) this.onProblem?.(problem);
    }
    return r;
  }

  list(): MemoryEntry[] {
    return this.read().entries;
  }

  private rewrite(change: (entries: MemoryEntry[]) => MemoryEntry[]): void {
    withFileLockSync(this.file, () => writeFileAtomic(this.file, render(this.read(), change)));
  }

  /** Runs f after every write queued before it; a failed write does not stop the later ones. */
  private rewriteAsync(change: (entries: MemoryEntry[]) => MemoryEntry[]): Promise<void> {
    const run = this.queue.then(() =>
      withFileLock(this.file, async () => {
        const text = await readFile(this.file, 'utf8').catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return null;
          throw e;
        });
        await writeFileAtomicAsync(this.file, render(parseLines(text), change));
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A complete entry (id, time, no outcome yet), not yet stored: store it with insertAsync (add does both). */
  createEntry(e: NewMemoryEntry): MemoryEntry {
    return MemoryEntrySchema.parse({ ...e, id: `m${randomBytes(6).toString('hex')}`, created_at: new Date().toISOString(), outcome: e.outcome ?? { step: null, task: null } });
  }

  add(e: NewMemoryEntry): MemoryEntry {
    const entry = this.createEntry(e);
    this.rewrite((es) => [...es, entry]);
    return entry;
  }

  insertAsync(entry: MemoryEntry): Promise<void> {
    return this.rewriteAsync((es) => [...es, entry]);
  }

  /** Sets outcome fields of the given entries (those still present). */
  setOutcome(ids: readonly string[], outcome: Partial<MemoryEntry['outcome']>): void {
    if (ids.length === 0) return;
    this.rewrite(withOutcome(ids, outcome));
  }

  setOutcomeAsync(ids: readonly string[], outcome: Partial<MemoryEntry['outcome']>): Promise<void> {
    return ids.length === 0 ? Promise.resolve() : this.rewriteAsync(withOutcome(ids, outcome));
  }

  /** Resolves once every queued asynchronous write has been tried. */
  flush(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  /** Deletes one entry; false when there is no such id. */
  delete(id: string): boolean {
    let found = false;
    this.rewrite((es) =>
      es.filter((e) => {
        if (e.id !== id) return true;
        found = true;
        return false;
      }),
    );
    return found;
  }

  /** Copies the runtime's correction log in (entries not imported before); returns how many were added. */
  importCorrectionLog(logFile: string, source = `import:${path.basename(logFile)}`): { added: number; bad_lines: number[] } {
    const log = readCorrectionLog(logFile);
    let added = 0;
    this.rewrite((es) => {
      const seen = new Set(es.map((e) => e.log_key).filter(Boolean));
      const out = [...es];
      for (const c of log.entries) {
        const key = `${c.timestamp} ${c.phrase}`.slice(0, 600);
        if (seen.has(key)) continue;
        seen.add(key);
        const src = c.source;
        out.push(
          MemoryEntrySchema.parse({
            id: `m${randomBytes(6).toString('hex')}`,
            created_at: c.timestamp,
            source: typeof src === 'string' && src.length > 0 ? src.slice(0, 100) : source,
            phrase: c.phrase,
            correction: c.correction,
            task: c.task,
            skill: c.skill,
            ...(c.skill_args !== undefined ? { skill_args: c.skill_args } : {}),
            outcome: { step: null, task: null },
            log_key: key,
          }),
        );
        added++;
      }
      return out;
    });
    return { added, bad_lines: log.bad_lines };
  }

  /** The k entries most similar to the task (task, skill and phrase words), best first; none below min_score. */
  retrieve(task: string, k = 5, min_score = 0.1): MemoryHit[] {
    return retrieve(this.list(), task, k, min_score);
  }
}

/** One sentence naming the file, the lines that are not entries (a truncated or hand-edited file) and the fix; null if none. */
export function badLinesProblem(file: string, bad_lines: readonly number[]): string | null {
  if (bad_lines.length === 0) return null;
  const which = bad_lines.length === 1 ? `line ${bad_lines[0]} is` : `lines ${bad_lines.join(', ')} are`;
  return `${file}: ${which} not a valid memory entry (truncated or edited by hand?): kept at the end of the file but not used; fix or delete ${bad_lines.length === 1 ? 'it' : 'them'} with an editor (\`ganglion memory list\` shows the good entries)`;
}

function withOutcome(ids: readonly string[], outcome: Partial<MemoryEntry['outcome']>) {
  const set = new Set(ids);
  return (es: MemoryEntry[]) => es.map((e) => (set.has(e.id) ? { ...e, outcome: { ...e.outcome, ...outcome } } : e));
}

function parseLines(text: string | null): MemoryRead & { raw: string[] } {
  const out: MemoryRead & { raw: string[] } = { entries: [], bad_lines: [], raw: text === null ? [] : text.split('\n') };
  out.raw.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const r = MemoryEntrySchema.safeParse(JSON.parse(line));
      if (r.success) out.entries.push(r.data);
      else out.bad_lines.push(i + 1);
    } catch {
      out.bad_lines.push(i + 1);
    }
  });
  return out;
}

/** The file's new text: the changed entries, then any unparseable lines (kept for a human to look at, never dropped). */
function render(r: MemoryRead & { raw: string[] }, change: (entries: MemoryEntry[]) => MemoryEntry[]): string {
  const bad = r.bad_lines.map((n) => r.raw[n - 1]!);
  const next = change(r.entries).map((e) => JSON.stringify(MemoryEntrySchema.parse(e)));
  return [...next, ...bad].map((l) => l + '\n').join('');
}

export function retrieve(entries: readonly MemoryEntry[], task: string, k = 5, min_score = 0.1): MemoryHit[] {
  const scores = tfidfScores(task, entries.map((e) => `${e.task ?? ''} ${e.skill ?? ''} ${e.phrase}`));
  return entries
    .map((entry, i) => ({ entry, score: scores[i]! }))
    .filter((h) => h.score >= min_score)
    .sort((a, b) => b.score - a.score || b.entry.created_at.localeCompare(a.entry.created_at))
    .slice(0, k);
}
