// Test helper: the emulated Firmata board's UART on a pty (socat links it to the pty a host opens), as a USB-serial chip.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';
import { SerialTransport } from '../../host/link/serial.ts';
import type { FirmataBench } from './boot.ts';

/** Two linked ptys (socat): the child opens `host`, this process serves the emulated board on `board`. */
async function ptyPair(dir: string): Promise<{ host: string; board: string; child: ChildProcess }> {
  const host = path.join(dir, 'host');
  const board = path.join(dir, 'board');
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${host}`, `pty,raw,echo=0,link=${board}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socat did not start')), 5000);
    createInterface({ input: child.stderr! }).on('line', (l) => {
      if (l.includes('starting data transfer loop')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { host, board, child };
}

/** Serves `b` on a pty: returns the path a host opens. Host bytes kick the pacer, as the emulator's worker does. */
export async function boardOnPty(t: Test, b: FirmataBench): Promise<{ host: string }> {
  const pair = await ptyPair(mkdtempSync(path.join(tmpdir(), 'gng-firmata-pty-')));
  t.teardown(() => void pair.child.kill());
  const uart = SerialTransport.forBoard(pair.board, b.board);
  await uart.open();
  await b.node.transport.open();
  uart.onData((bytes) => {
    b.node.transport.write(bytes);
    b.pacer.kick();
  });
  b.node.transport.onData((bytes) => {
    if (uart.isOpen) uart.write(bytes);
  });
  t.teardown(() => uart.close());
  return { host: pair.host };
}
