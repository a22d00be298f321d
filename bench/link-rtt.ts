// Benchmark 2: command-to-ack round trip (ping -> pong) over a pty to the posix firmware and through the emulator,
// beside the raw pty echo floor (a C process echoing the same number of bytes) measured in the same run.
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { loadBoard } from '../host/hw/board.ts';
import { loadRobot } from '../host/hw/robot.ts';
import { McuSession } from '../host/link/session.ts';
import { SerialTransport } from '../host/link/serial.ts';
import { PosixMcu, asPosixBoard } from '../host/link/posix-mcu.ts';
import { WorkerNode } from '../host/emulator/worker-node.ts';
import { encodeFrame } from '../host/protocol/frame.ts';
import { encodeMessage } from '../host/protocol/codec.ts';
import { percentile, type Figure } from './report.ts';

const N = 500;
const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * Round trips of one ping-sized frame through a process that echoes bytes on a pty. The host side reads and writes the
 * pty as the firmware's sessions do (serial-direct-io.ts: reads on the serial I/O thread, writes direct), or through
 * node-serialport's own binding, whose reads and writes go through libuv's thread pool (what the sessions used before).
 */
async function echoFloor(io: 'direct' | 'serialport'): Promise<number[]> {
  const bin = path.join(tmpdir(), 'ganglion-pty-echo');
  execFileSync('gcc', ['-std=c11', '-O2', path.join(HERE, 'pty-echo.c'), '-o', bin]);
  const child = spawn(bin, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line: string = await new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const port = new SerialTransport({ path: line.slice(4), baudRate: 1_000_000, ...(io === 'serialport' ? { binding: SerialPort.binding } : {}) });
  await port.open();
  const frame = encodeFrame(1, encodeMessage('ping', { token: 1 }));
  const rtts: number[] = [];
  let got = 0;
  let done: () => void = () => {};
  port.onData((d) => {
    got += d.length;
    if (got >= frame.length) { got -= frame.length; done(); }
  });
  for (let i = 0; i < N + 20; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise<void>((r) => { done = r; port.write(frame); });
    if (i >= 20) rtts.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  await port.close();
  child.kill();
  return rtts;
}

async function sessionPings(s: McuSession): Promise<number[]> {
  const rtts: number[] = [];
  for (let i = 0; i < N + 20; i++) {
    const us = await s.ping();
    if (i >= 20) rtts.push(us);
  }
  return rtts;
}

export async function run(): Promise<Figure[]> {
  const floor = await echoFloor('direct');
  const poolFloor = await echoFloor('serialport');
  const node = loadRobot().nodes.find((n) => n.id === 'base')!;
  const board = loadBoard(node.board);

  const mcu = new PosixMcu();
  const pty = await mcu.start();
  const posix = new McuSession({ transport: SerialTransport.forBoard(pty, asPosixBoard(board)), node, board: asPosixBoard(board), reconnect: false });
  await posix.connect();
  const posixRtt = await sessionPings(posix);
  await posix.close();
  await mcu.stop();

  const w = await WorkerNode.boot(node, board);
  const emu = new McuSession({ transport: w.transport, node, board, reconnect: false });
  await emu.connect();
  const emuRtt = await sessionPings(emu);
  await emu.close();
  await w.terminate();

  const f50 = percentile(floor, 50);
  // The emulated wire itself: ping frame (10 bytes) out and pong frame (14 bytes) back at 10 us a byte (1 Mbaud 8N1).
  // Computed, not measured, because it is a physical floor: the emulated USART shifts each byte in exactly 10 bit times
  // of emulated clock (avr.ts), so no run can carry these 24 bytes faster; a measurement could only add to it.
  const WIRE_US = (10 + 14) * 10;
  return [
    { name: 'raw pty echo floor (10-byte frame), median', value: f50, unit: 'us', baseline: { label: 'p99', value: percentile(floor, 99) },
      note: `the host reads the pty on its serial I/O thread and writes it directly, as the sessions do (host/link/serial-direct-io.ts); through node-serialport's thread-pool binding the same echo takes median ${percentile(poolFloor, 50).toFixed(0)} / p99 ${percentile(poolFloor, 99).toFixed(0)} us` },
    { name: 'posix firmware over pty, ping->pong median', value: percentile(posixRtt, 50), unit: 'us', baseline: { label: 'pty echo floor', value: f50 },
      goal: '<= 1.5x floor', pass: percentile(posixRtt, 50) <= 1.5 * f50, note: `ratio ${(percentile(posixRtt, 50) / f50).toFixed(2)}x, p99 ${percentile(posixRtt, 99).toFixed(0)} us` },
    { name: 'emulated Uno (avr8js worker, real-time paced), ping->pong median', value: percentile(emuRtt, 50), unit: 'us', baseline: { label: 'emulated 1 Mbaud wire alone (10 + 14 bytes x 10 us: a physical floor, computed)', value: WIRE_US },
      goal: '<= 2x the wire', pass: percentile(emuRtt, 50) <= 2 * WIRE_US,
      note: `ratio ${(percentile(emuRtt, 50) / WIRE_US).toFixed(2)}x the wire, ${(percentile(emuRtt, 50) / f50).toFixed(2)}x the pty echo floor, p99 ${percentile(emuRtt, 99).toFixed(0)} us` },
  ];
}
