// Serial I/O without the thread pool (serial-direct-io.ts: writes on the event loop's thread, reads on the serial I/O
// thread), on real ptys: bytes arrive whole and in order past the kernel's buffers, a close or a vanished device ends a
// pending read the way the stream expects, and a thread pool held by other work no longer silences the link (it used
// to trip every MCU's watchdog).
import t, { type Test } from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, read, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { SerialTransport } from '../../host/link/serial.ts';
import { McuSession } from '../../host/link/session.ts';
import { loadBoard } from '../../host/hw/board.ts';
import { referenceNode, startMcu, tempDir, until } from './helpers/posix.ts';

const uno = loadBoard('uno');

/** Two ptys joined by socat: what one side writes the other reads. Returns both paths and a way to pull the "cable". */
async function ptyPair(t: Test): Promise<{ a: string; b: string; unplug(): void }> {
  const dir = tempDir(t);
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => { child.kill(); });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socat did not start')), 5000);
    createInterface({ input: child.stderr! }).on('line', (l) => {
      if (l.includes('starting data transfer loop')) { clearTimeout(timer); resolve(); }
    });
  });
  return { a, b, unplug: () => child.kill('SIGKILL') };
}

t.test('256 KiB one way arrive whole and in order: writes wait for room when the kernel has none', async (t) => {
  const { a, b } = await ptyPair(t);
  const tx = SerialTransport.forBoard(a, uno);
  const rx = SerialTransport.forBoard(b, uno);
  await tx.open();
  await rx.open();
  t.teardown(async () => { await tx.close(); await rx.close(); });
  const chunks: Uint8Array[] = [];
  let got = 0;
  rx.onData((bytes) => { chunks.push(Uint8Array.from(bytes)); got += bytes.length; });
  const sent = new Uint8Array(256 * 1024).map((_, i) => (i * 31 + (i >> 8)) & 0xff);
  // In 1 KiB writes, queued at once: far more than a pty holds (4 KiB), so most writes meet a full kernel buffer.
  for (let i = 0; i < sent.length; i += 1024) tx.write(sent.subarray(i, i + 1024));
  await until('all bytes at the other end', () => got >= sent.length, 20_000);
  const all = new Uint8Array(got);
  let off = 0;
  for (const c of chunks) { all.set(c, off); off += c.length; }
  t.equal(got, sent.length, 'not a byte more');
  t.ok(Buffer.from(all).equals(Buffer.from(sent)), 'the same bytes in the same order');
  t.ok(chunks.length > 1, `read in ${chunks.length} chunks, as they came`);
  await tx.drain();
});

t.test('a close ends the pending read quietly; a vanished device closes with an error', async (t) => {
  const { a, unplug } = await ptyPair(t);
  const tr = SerialTransport.forBoard(a, uno);
  const closes: (Error | undefined)[] = [];
  tr.onClose((e) => closes.push(e));
  await tr.open();
  await tr.close(); // a read is pending: the stream reads as soon as it opens
  await until('the close event', () => closes.length === 1);
  t.equal(closes[0], undefined, 'a requested close carries no error');

  await tr.open();
  unplug();
  await until('the device to be gone', () => closes.length === 2);
  t.match(closes[1]?.message ?? '', new RegExp(`${a} closed`), 'a lost device is reported, named');
  t.notOk(tr.isOpen, 'and the port is no longer open');
});

t.test('a thread pool held by other work does not silence the link (no watchdog trip, pings answered)', async (t) => {
  const mcu = await startMcu(t);
  const { node, board } = referenceNode('base');
  const s = new McuSession({ transport: SerialTransport.forBoard(mcu.ptyPath!, board), node, board });
  t.teardown(() => s.close());
  await s.connect();
  await s.arm();
  s.setMotors([CONSTANTS.MODE.PWM, CONSTANTS.MODE.PWM], [300, 300]);
  await until('outputs on', () => s.mcuState?.outPermille[0] === 300);

  // Every libuv pool thread blocked in a read of an empty FIFO for 1 s (ten of the reference node's 100 ms watchdog
  // windows), using no CPU: what a slow disk or a stuck DNS lookup does to the pool. Before, every serial read and
  // write queued behind them.
  const fifo = path.join(tempDir(t), 'pool');
  execFileSync('mkfifo', [fifo]);
  const fd = openSync(fifo, 'r+'); // read-write: the open itself does not wait for a writer
  t.teardown(() => closeSync(fd));
  const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const held = Promise.all(Array.from({ length: threads }, () => new Promise<void>((resolve, reject) => read(fd, Buffer.alloc(1), 0, 1, null, (e) => (e ? reject(e) : resolve())))));
  const release = setTimeout(() => writeSync(fd, Buffer.alloc(threads)), 1000);
  t.teardown(() => clearTimeout(release));
  let poolFree = false;
  const freed = held.then(() => { poolFree = true; });
  let pings = 0;
  let tripped = false;
  while (!poolFree) {
    await Promise.race([s.ping().then(() => { if (!poolFree) pings++; }), freed]);
    tripped ||= (s.mcuState!.faults & CONSTANTS.FAULT.WATCHDOG_TRIPPED) !== 0;
  }
  t.ok(pings > 0, `${pings} pings answered while the pool was held`);
  t.notOk(tripped, 'the watchdog never tripped');
  t.equal(s.mcuState!.outPermille[0], 300, 'the outputs stayed on');
});
