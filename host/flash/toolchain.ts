// Toolchain checks for `ganglion doctor`: node, make, avr-gcc, avrdude, simavr, and which firmware images are built.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../hw/board.ts';
import { findExecutable } from './avrdude.ts';
import { firmwareHexPath, FIRMWARE_DIR } from './build.ts';
import type { CheckItem } from './checklist.ts';

const SETUP_HINT = 'install it: npm run setup';

/** First line of a tool's version output that has a version number in it, from stdout or stderr. */
function versionOf(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return null;
  const text = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  return text.match(/\d+\.\d+(\.\d+)?/)?.[0] ?? null;
}

function tool(name: string, args: string[], required: boolean, why: string): CheckItem {
  if (!findExecutable(name)) return { mark: required ? 'fail' : 'warn', text: `${name} not found (${why})`, hint: SETUP_HINT };
  const v = versionOf(name, args);
  return { mark: 'ok', text: `${name} ${v ?? '(version unknown)'}` };
}

export function nodeCheck(version = process.versions.node): CheckItem {
  const major = Number(version.split('.')[0]);
  return major >= 20
    ? { mark: 'ok', text: `node ${version}` }
    : { mark: 'fail', text: `node ${version} is older than 20`, hint: 'install Node.js 20 or newer (https://nodejs.org or your package manager)' };
}

export function toolchainChecks(): CheckItem[] {
  const items = [
    nodeCheck(),
    tool('make', ['--version'], true, 'builds the firmware'),
    tool('avr-gcc', ['-dumpversion'], true, 'compiles the AVR firmware'),
    tool('avrdude', ['-v'], true, 'flashes boards'),
  ];
  // simavr only runs the flashing test; the harness links libsimavr, whose version pkg-config knows.
  const simavr = findExecutable('simavr') && existsSync('/usr/include/simavr/sim_avr.h');
  items.push(simavr
    ? { mark: 'ok', text: `simavr ${versionOf('pkg-config', ['--modversion', 'simavr']) ?? '(version unknown)'} with libsimavr-dev` }
    : { mark: 'warn', text: 'simavr or libsimavr-dev not found (only the emulated-Optiboot flashing test needs them)', hint: SETUP_HINT });
  return items;
}

export function firmwareChecks(): CheckItem[] {
  const rel = (p: string): string => path.relative(ROOT, p);
  const items: CheckItem[] = ['atmega328p', 'atmega2560'].map((mcu) => {
    const hex = firmwareHexPath(mcu);
    return existsSync(hex)
      ? { mark: 'ok', text: `${mcu} image ${rel(hex)}` }
      : { mark: 'warn', text: `${mcu} image not built (${rel(hex)})`, hint: 'build it: npm run build:firmware (ganglion flash also builds it)' };
  });
  const posix = path.join(FIRMWARE_DIR, 'build/posix/ganglion');
  items.push(existsSync(posix)
    ? { mark: 'ok', text: `posix firmware ${rel(posix)}` }
    : { mark: 'warn', text: `posix firmware not built (${rel(posix)})`, hint: 'build it: npm run build:firmware' });
  return items;
}
