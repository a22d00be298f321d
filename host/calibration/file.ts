// Reading and writing calibration files: version check, zod validation naming the field, and an atomic
// write (temp file, fsync, rename, fsync the directory) that keeps the previous file as <name>.json.bak.
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../hw/board.ts';
import { CALIBRATION_VERSION, CalibrationSchema, type Calibration } from './schema.ts';
import { zodIssue } from '../util/zod-issue.ts';

export const CALIBRATION_DIR = path.join(ROOT, 'calibration');

/** calibration/<robot>.json (or under `dir`). */
export function calibrationPath(robotName: string, dir = CALIBRATION_DIR): string {
  return path.join(dir, `${robotName}.json`);
}

export type CalibrationProblem = 'missing' | 'corrupt' | 'version' | 'mismatch';

/** A calibration that cannot be used; `problem` says which kind, the message says what to do. */
export class CalibrationError extends Error {
  constructor(
    readonly problem: CalibrationProblem,
    message: string,
  ) {
    super(message);
    this.name = 'CalibrationError';
  }
}

/**
 * Older formats upgraded in place: MIGRATIONS[v] turns a version-v object into version v+1. There is only
 * version 1 so far; a file without a migration path is refused with a request to recalibrate.
 */
const MIGRATIONS: Record<number, (old: Record<string, unknown>) => Record<string, unknown>> = {};

function migrate(raw: Record<string, unknown>, file: string): Record<string, unknown> {
  let v = raw.version;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new CalibrationError('corrupt', `${file} is not a calibration file: version: expected an integer, got ${JSON.stringify(v)}`);
  }
  if (v > CALIBRATION_VERSION) {
    throw new CalibrationError('version', `${file} is calibration format version ${v}, newer than this ganglion reads (${CALIBRATION_VERSION}): update ganglion or recalibrate`);
  }
  let out = raw;
  while (v < CALIBRATION_VERSION) {
    const step = MIGRATIONS[v];
    if (!step) throw new CalibrationError('version', `${file} is calibration format version ${v}, which cannot be upgraded to ${CALIBRATION_VERSION}: recalibrate with \`ganglion calibrate\``);
    out = step(out);
    v++;
  }
  return out;
}

/** Validate a parsed object; the error names the file and the first bad field. */
export function parseCalibration(raw: unknown, file = 'calibration'): Calibration {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CalibrationError('corrupt', `${file} is not a calibration file: expected a JSON object`);
  const r = CalibrationSchema.safeParse(migrate(raw as Record<string, unknown>, file));
  if (!r.success) {
    throw new CalibrationError('corrupt', `${file} is not a valid calibration: ${zodIssue(r.error)}`);
  }
  return r.data;
}

/** Load and validate; a missing file is CalibrationError('missing'), anything unreadable 'corrupt'. */
export function loadCalibration(file: string): Calibration {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CalibrationError('missing', `no calibration file ${file}`);
    throw new CalibrationError('corrupt', `cannot read ${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CalibrationError('corrupt', `${file} is not valid JSON (${(e as Error).message})`);
  }
  return parseCalibration(raw, file);
}

function fsyncPath(p: string, flags: string): void {
  const fd = openSync(p, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Temp files of `file` left by a write that died before its rename. */
export function staleTempFiles(file: string): string[] {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.tmp-`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.startsWith(prefix)).map((f) => path.join(dir, f));
}

/**
 * Validate, then write atomically: a reader sees the old file or the new one, never a half-written one, and a
 * crash at any point loses nothing. The previous file (whatever it holds) becomes <file>.bak.
 */
export function writeCalibration(file: string, cal: Calibration): void {
  const valid = parseCalibration(JSON.parse(JSON.stringify(cal)), `calibration for ${file}`);
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  for (const stale of staleTempFiles(file)) unlinkSync(stale);
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeSync(fd, `${JSON.stringify(valid, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (existsSync(file)) {
      // Copied, not renamed: the main file must exist at every instant. The .bak gets its own atomic rename.
      const bakTmp = `${tmp}.bak`;
      copyFileSync(file, bakTmp);
      fsyncPath(bakTmp, 'r');
      renameSync(bakTmp, `${file}.bak`);
    }
    renameSync(tmp, file);
    // The rename lives in the directory entry: without this fsync a power cut can bring the old file back.
    fsyncPath(dir, 'r');
  } catch (e) {
    for (const f of [tmp, `${tmp}.bak`]) if (existsSync(f)) unlinkSync(f);
    throw e;
  }
}
