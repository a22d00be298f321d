// The one atomic write, for a file (temp file beside the target, fsync, rename, fsync the folder) or a whole folder: a reader sees old or new, never half.
import { closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the result, exact (not masked by the umask): 0o600 for secrets. Default 0o644. */
  mode?: number;
}

const TEMP_INFIX = '.tmp-';

/** Unique per process and call, so two writers never share a temp file; the dot keeps it out of plain listings. */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}${TEMP_INFIX}${process.pid}-${Math.random().toString(36).slice(2)}`);
}

/** Temp files of `file` left by a write that died before its rename (any process). */
export function staleTempFiles(file: string): string[] {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}${TEMP_INFIX}`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.startsWith(prefix)).map((f) => path.join(dir, f));
}

const toBytes = (data: string | Uint8Array): Uint8Array => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

function fsyncDir(dir: string): void {
  // The rename lives in the directory entry: without this a power cut can bring the old file back.
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeFileAtomic(file: string, data: string | Uint8Array, o: AtomicWriteOptions = {}): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = tempPathFor(file);
  const mode = o.mode ?? 0o644;
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      fchmodSync(fd, mode);
      const bytes = toBytes(data);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

/** The same, without blocking the thread (fsync on an SD card can take tens of ms). */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array, o: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = tempPathFor(file);
  const mode = o.mode ?? 0o644;
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.chmod(mode);
      await fh.writeFile(toBytes(data));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** fsync every file and folder under `dir` (the folder itself last): what `fill` wrote is on disk before the rename. */
function fsyncTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) fsyncTree(p);
    else {
      const fd = openSync(p, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }
  fsyncDir(dir);
}

/**
 * The folder variant (a dataset of several files): `fill` writes into a temp folder beside `dir`, everything is
 * fsynced, then it replaces `dir`. A failure midway leaves the old folder (or none) and no temp folder. Replacing an
 * existing folder takes two renames (a folder cannot be renamed over a non-empty one): the old one is moved aside
 * first, so a reader sees the old folder, briefly none, or the new one, never a mixture.
 */
export function writeDirAtomic(dir: string, fill: (tempDir: string) => void): void {
  const parent = path.dirname(path.resolve(dir));
  mkdirSync(parent, { recursive: true });
  const tmp = tempPathFor(dir);
  try {
    mkdirSync(tmp);
    fill(tmp);
    fsyncTree(tmp);
    if (existsSync(dir)) {
      const old = tempPathFor(dir);
      renameSync(dir, old);
      renameSync(tmp, dir);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, dir);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  fsyncDir(parent);
}
