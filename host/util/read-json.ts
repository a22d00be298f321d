// Reads a JSON file and validates it with a zod schema: the one place that says which file is bad, which field, and how to fix it.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { zodIssue } from './zod-issue.ts';

/** What is wrong with a JSON file: absent, unreadable (permissions, a folder...), not JSON (truncated?), or a bad field. */
export type JsonFileFault = 'missing' | 'unreadable' | 'not_json' | 'invalid';

/** A JSON file that cannot be used; `fault` says which kind (callers map 'missing' to "not set up yet"). */
export class JsonFileError extends Error {
  constructor(
    readonly fault: JsonFileFault,
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'JsonFileError';
  }
}

export interface ReadJsonOptions {
  /** What a person does about a file that is there but bad (appended after ": "); a function when it depends on the disk. */
  fix?: string | (() => string);
  /** What a person does about a missing file (appended after ": "): create it, or why it is needed. */
  ifMissing?: string;
  /**
   * Wording by fault, where a caller's words are part of its contract (tests, docs). Each gets the file and the detail
   * (the system error, the JSON parse error, or "field.path: message"); `fix` is still appended.
   */
  say?: Partial<Record<JsonFileFault, (file: string, detail: string) => string>>;
}

const SAY: Record<JsonFileFault, (file: string, detail: string) => string> = {
  missing: (file) => `${file} is missing`,
  unreadable: (file, detail) => `${file} cannot be read (${detail})`,
  not_json: (file, detail) => `${file} is corrupt: not valid JSON (${detail})`,
  invalid: (file, detail) => `${file}: ${detail}`,
};

function fail(fault: JsonFileFault, file: string, detail: string, o: ReadJsonOptions): never {
  const fix = fault === 'missing' ? o.ifMissing : typeof o.fix === 'function' ? o.fix() : o.fix;
  const text = (o.say?.[fault] ?? SAY[fault])(file, detail);
  throw new JsonFileError(fault, file, fix ? `${text}: ${fix}` : text);
}

/** The parsed JSON of `file`, unvalidated (for callers that migrate or merge before validating). */
export function readJson(file: string, o: ReadJsonOptions = {}): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return fail(err.code === 'ENOENT' ? 'missing' : 'unreadable', file, err.code ?? err.message, o);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail('not_json', file, (e as Error).message, o);
  }
}

/** `file` read, parsed and validated by `schema`; every failure is a JsonFileError naming the file (and the field) and the fix. */
export function readJsonFile<S extends z.ZodType>(file: string, schema: S, o: ReadJsonOptions = {}): z.output<S> {
  return validateJson(readJson(file, o), schema, file, o);
}

/** An already-parsed value validated by `schema`, with the same error wording as readJsonFile. */
export function validateJson<S extends z.ZodType>(raw: unknown, schema: S, file: string, o: ReadJsonOptions = {}): z.output<S> {
  const r = schema.safeParse(raw);
  if (!r.success) return fail('invalid', file, zodIssue(r.error), o);
  return r.data;
}
