// The serial I/O thread: reads every open serial port's descriptor and waits on it, so no tty system call that can sleep runs on the event loop's thread.
//
// Why: on Linux a tty read or poll that finds no input first waits for the tty's buffer work (n_tty_poll/n_tty_read ->
// tty_buffer_flush_work), which runs on a kernel worker thread. On a busy machine that worker waits for a core, and
// the caller sleeps uninterruptibly meanwhile: the host's main thread was measured asleep in epoll_ctl on a pty for
// 0.5-2.7 s at a time (/proc/<pid>/task/<tid>/stack: __flush_work <- n_tty_poll <- tty_poll <- do_epoll_ctl), long
// enough for every MCU's link watchdog to trip. Here only this thread sleeps there. Writes never wait for that work,
// so the main thread writes itself (serial-direct-io.ts) and hands over only what the kernel had no room for.
//
// This thread reads through a descriptor of its own, opened on the device before the binding opens (and locks) it, and
// waits on it with libuv's tty handle (tty.ReadStream) in this thread's own loop: node-serialport's poller always
// registers with the main thread's loop, so it cannot run here.
import { openSync, constants, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { parentPort } from 'node:worker_threads';
import { mustRetry, type FromIoThread, type SysError, type ToIoThread } from './serial-io-protocol.ts';

/** [ms] when the kernel had no room for a write: try again this much later (rare: a full tty buffer). */
const WRITE_RETRY_MS = 1;

interface Port {
  reader: ReadStream;
  /** The binding's descriptor, for writes the main thread could not finish (null until it has opened the port). */
  writeFd: number | null;
  writes: { seq: number; bytes: Uint8Array; offset: number }[];
  writeTimer: NodeJS.Timeout | null;
}

const ports = new Map<number, Port>();
const post = (m: FromIoThread, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);

function failed(id: number, e: SysError): void {
  post({ t: 'error', id, message: e.message, ...(e.code === undefined ? {} : { code: e.code }), ...(e.errno === undefined ? {} : { errno: e.errno }) });
}

function open(id: number, path: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
  } catch (e) {
    failed(id, e as SysError);
    return;
  }
  const reader = new ReadStream(fd);
  const p: Port = { reader, writeFd: null, writes: [], writeTimer: null };
  ports.set(id, p);
  reader.on('data', (chunk: Buffer) => {
    const bytes = new Uint8Array(chunk);
    post({ t: 'data', id, bytes }, [bytes.buffer as ArrayBuffer]);
  });
  reader.on('error', (e: SysError) => {
    if (ports.get(id) === p) failed(id, e);
  });
  // A tty reads end-of-file when the device hangs up (a cable pull, the other end of a pty gone).
  reader.on('end', () => {
    if (ports.get(id) === p) failed(id, Object.assign(new Error(`${path}: the device hung up`), { code: 'EIO' }));
  });
  post({ t: 'opened', id });
}

/** Writes what is queued, in order; when the kernel has no room, tries again shortly. */
function flushWrites(id: number, p: Port): void {
  p.writeTimer = null;
  while (p.writes.length && p.writeFd !== null) {
    const w = p.writes[0]!;
    try {
      w.offset += writeSync(p.writeFd, w.bytes, w.offset, w.bytes.length - w.offset);
    } catch (e) {
      if (!mustRetry(e)) {
        p.writes.length = 0;
        failed(id, e as SysError);
        return;
      }
      p.writeTimer = setTimeout(() => flushWrites(id, p), WRITE_RETRY_MS);
      return;
    }
    if (w.offset >= w.bytes.length) {
      p.writes.shift();
      post({ t: 'written', id, seq: w.seq });
    }
  }
}

function close(id: number): void {
  const p = ports.get(id);
  ports.delete(id);
  if (!p) return post({ t: 'closed', id });
  if (p.writeTimer) clearTimeout(p.writeTimer);
  // A hung-up device's stream has already closed itself.
  if (p.reader.closed) return post({ t: 'closed', id });
  p.reader.once('close', () => post({ t: 'closed', id }));
  p.reader.destroy();
}

parentPort!.on('message', (m: ToIoThread) => {
  switch (m.t) {
    case 'open': open(m.id, m.path); return;
    case 'fd': {
      const p = ports.get(m.id);
      if (p) p.writeFd = m.fd;
      return;
    }
    case 'write': {
      const p = ports.get(m.id);
      if (!p) return;
      p.writes.push({ seq: m.seq, bytes: m.bytes, offset: 0 });
      if (!p.writeTimer) flushWrites(m.id, p);
      return;
    }
    case 'close': close(m.id); return;
  }
});
