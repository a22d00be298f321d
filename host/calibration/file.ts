// Reading and writing calibration files: version check, zod validation naming the field, and an atomic
// write (temp file, fsync, rename, fsync the directory) that keeps the previous file as <name>.json.bak.
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../hw/board.ts';
import { CALIBRATION_VERSION, CalibrationSchema, type Calibration } from './schema.ts';
import { JsonFileError, readJson, validateJson } from '../util/read-json.ts';
import { staleTempFiles, writeFileAtomic } from '../util/atomic-write.ts';

export { staleTempFiles };

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

/** What to do about a corrupt file: its .bak (the last good one writeCalibration kept) if there is one, else recalibrate. */
function corruptFix(file: string): string {
  const recal = 'recalibrate with `ganglion calibrate`';
  return existsSync(`${file}.bak`) ? `restore the previous good one with \`cp ${file}.bak ${file}\`, or ${recal}` : recal;
}

/** Validate a parsed object; the error names the file, the first bad field and the fix. */
export function parseCalibration(raw: unknown, file = 'calibration'): Calibration {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CalibrationError('corrupt', `${file} is not a calibration file: expected a JSON object; ${corruptFix(file)}`);
  try {
    return validateJson(migrate(raw as Record<string, unknown>, file), CalibrationSchema, file, { say: { invalid: (f, field) => `${f} is not a valid calibration: ${field}; ${corruptFix(f)}` } });
  } catch (e) {
    throw e instanceof JsonFileError ? new CalibrationError('corrupt', e.message) : e;
  }
}

/** Load and validate; a missing file is CalibrationError('missing'), anything unreadable 'corrupt'. */
export function loadCalibration(file: string): Calibration {
  let raw: unknown;
  try {
    raw = readJson(file, {
      say: { missing: (f) => `no calibration file ${f}`, unreadable: (f, d) => `cannot read ${f}: ${d}`, not_json: (f, d) => `${f} is not valid JSON (${d}; truncated?): ${corruptFix(f)}` },
    });
  } catch (e) {
    throw e instanceof JsonFileError ? new CalibrationError(e.fault === 'missing' ? 'missing' : 'corrupt', e.message) : e;
  }
  return parseCalibration(raw, file);
}

function isValidCalibration(file: string): boolean {
  try {
    loadCalibration(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Validate, then write atomically: a reader sees the old file or the new one, never a half-written one, and a
 * crash at any point loses nothing. The previous file becomes <file>.bak when it is a valid calibration; a corrupt one
 * never replaces the last good .bak.
 */
export function writeCalibration(file: string, cal: Calibration): void {
  const valid = parseCalibration(JSON.parse(JSON.stringify(cal)), `calibration for ${file}`);
  for (const stale of staleTempFiles(file)) unlinkSync(stale);
  // Copied, not renamed: the main file must exist at every instant. The .bak gets its own atomic write.
  if (existsSync(file) && isValidCalibration(file)) writeFileAtomic(`${file}.bak`, readFileSync(file));
  writeFileAtomic(file, `${JSON.stringify(valid, null, 2)}\n`);
}
