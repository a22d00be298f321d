// Test fixtures: the real posix firmware on a real pty, the reference robot's nodes, and polling helpers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';
import { PosixMcu } from '../../../host/link/posix-mcu.ts';
import { asPosixBoard } from '../../../host/link/posix-mcu.ts';
import { loadBoard, type Board } from '../../../host/hw/board.ts';
import { loadRobot, type NodeWiring } from '../../../host/hw/robot.ts';

/** A node of the reference robot and its board profile as the posix firmware reports it. */
export function referenceNode(id = 'base'): { node: NodeWiring; board: Board } {
  const node = loadRobot().nodes.find((n) => n.id === id);
  if (!node) throw new Error(`reference robot has no node '${id}'`);
  return { node, board: asPosixBoard(loadBoard(node.board)) };
}

export function tempDir(t: Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ganglion-link-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts the posix firmware (stopped at teardown). `eepromPath` keeps its node id across restarts. */
export async function startMcu(t: Test, eepromPath?: string): Promise<PosixMcu> {
  const mcu = new PosixMcu({ eepromPath });
  t.teardown(() => mcu.stop());
  await mcu.start();
  return mcu;
}

/** A pty with nothing that speaks the protocol behind it (socat links it to a second, unread pty). */
export async function silentPty(t: Test): Promise<string> {
  const dir = tempDir(t);
  const a = path.join(dir, 'silent-a');
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${path.join(dir, 'silent-b')}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => { child.kill(); });
  // socat reports "starting data transfer loop" once both ptys exist.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socat did not start')), 5000);
    createInterface({ input: child.stderr! }).on('line', (l) => {
      if (l.includes('starting data transfer loop')) { clearTimeout(timer); resolve(); }
    });
  });
  return a;
}

/** Polls `pred` until true; rejects naming `what` after `timeoutMs` (generous: this is a wait, not a timing check). */
export async function until(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
