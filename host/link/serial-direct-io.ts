// A serial binding whose I/O is plain non-blocking system calls: writes on this thread, reads and every wait on the serial I/O thread.
//
// Why: node-serialport's Unix binding does each read and write with fs.read/fs.write, i.e. on libuv's thread pool. A
// frame in either direction then costs two thread wake-ups (the pool thread, then the loop again), and anything else
// that fills the pool (password hashing, file I/O) holds the link. Reading and polling a tty can sleep in the kernel
// (serial-io-thread.ts says when), so they happen on a thread of their own, which hands the bytes over. A write never
// sleeps there: it is made here at once, and only what the kernel has no room for goes to the I/O thread.
import { writeSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { tsWorker } from '../util/ts-worker.ts';
import { mustRetry, type FromIoThread, type SysError as IoError, type ToIoThread } from './serial-io-protocol.ts';
import type { SerialBinding } from './serial.ts';

type Binding = NonNullable<SerialBinding>;
type Port = Awaited<ReturnType<Binding['open']>>;

/** What the Unix binding's port has beside the interface: its descriptor. */
interface UnixPort {
  fd: number | null;
  writeOperation: Promise<void> | null;
}

const isUnixPort = (p: object): p is UnixPort & object => typeof (p as Partial<UnixPort>).fd === 'number' && 'poller' in p;

/** What the stream reads from an error: a lost device (`disconnect`) or a closed port (`canceled`). */
type SysError = IoError & { disconnect?: boolean; canceled?: boolean };
/** Codes that mean the device went away (a cable pull): the stream closes with the error, as the binding does. */
const GONE = new Set(['EBADF', 'ENXIO', 'EIO', 'UNKNOWN']);

function marked(err: SysError): SysError {
  if (GONE.has(err.code ?? '') || err.errno === -1) err.disconnect = true;
  return err;
}

const closedError = (): SysError => Object.assign(new Error('Port is not open'), { canceled: true });

/** One open port's side of the I/O thread: bytes read and not yet taken, the read waiting for them, writes handed over. */
class ThreadPort {
  private chunks: Uint8Array[] = [];
  private waiting: { buffer: Buffer; offset: number; length: number; resolve(r: { bytesRead: number; buffer: Buffer }): void; reject(e: Error): void } | null = null;
  private error: SysError | null = null;
  /** Writes handed to the I/O thread and not yet written; while any are, later writes queue behind them. */
  private readonly handed = new Map<number, { resolve(): void; reject(e: Error): void }>();
  private seq = 0;

  /** The binding's descriptor, which this thread writes to (set once the binding has opened the port). */
  private fd = -1;
  /** Settles when the I/O thread has the device open for reading, or could not open it. */
  readonly opened: Promise<void>;
  private settleOpen: { resolve(): void; reject(e: Error): void } | null = null;

  constructor(
    readonly id: number,
    private readonly send: (m: ToIoThread) => void,
  ) {
    this.opened = new Promise((resolve, reject) => (this.settleOpen = { resolve, reject }));
  }

  setFd(fd: number): void {
    this.fd = fd;
    this.send({ t: 'fd', id: this.id, fd });
  }

  didOpen(): void {
    this.settleOpen?.resolve();
    this.settleOpen = null;
  }

  data(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    if (this.waiting) this.take();
  }

  fail(err: SysError): void {
    this.error = marked(err);
    this.settleOpen?.reject(this.error);
    this.settleOpen = null;
    this.waiting?.reject(this.error);
    this.waiting = null;
    for (const w of this.handed.values()) w.reject(this.error);
    this.handed.clear();
  }

  written(seq: number): void {
    this.handed.get(seq)?.resolve();
    this.handed.delete(seq);
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number; buffer: Buffer }> {
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      this.waiting = { buffer, offset, length, resolve, reject };
      if (this.chunks.length) this.take();
    });
  }

  /** Gives the waiting read as much of the oldest chunks as it has room for. */
  private take(): void {
    const w = this.waiting!;
    let n = 0;
    while (this.chunks.length && n < w.length) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, w.length - n);
      w.buffer.set(c.subarray(0, k), w.offset + n);
      n += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.waiting = null;
    w.resolve({ bytesRead: n, buffer: w.buffer });
  }

  /** Writes all of `buffer`: here and now when the kernel has room (the common case), else via the I/O thread. */
  write(buffer: Buffer): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    let offset = 0;
    if (this.handed.size === 0) {
      try {
        while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset, buffer.length - offset);
        return Promise.resolve();
      } catch (e) {
        // No room in the kernel: the I/O thread writes the rest when it has.
        if (!mustRetry(e)) return Promise.reject(marked(e as SysError));
      }
    }
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.handed.set(seq, { resolve, reject });
      this.send({ t: 'write', id: this.id, seq, bytes: Uint8Array.from(buffer.subarray(offset)) });
    });
  }

  /** Ends a pending read quietly (the stream expects `canceled`), and fails anything still handed over. */
  cancel(): void {
    this.fail(closedError());
  }
}

/** The process's one serial I/O thread, started with the first port and keeping the process alive only while a port is open. */
class IoThread {
  private worker: Worker | null = null;
  private readonly ports = new Map<number, ThreadPort>();
  private readonly closing = new Map<number, () => void>();
  private nextId = 1;

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = tsWorker(new URL('./serial-io-thread.ts', import.meta.url));
    w.on('message', (m: FromIoThread) => this.receive(m));
    w.on('error', (e) => {
      for (const p of this.ports.values()) p.fail(Object.assign(new Error(`the serial I/O thread failed: ${e.message}`), { code: 'UNKNOWN' }));
    });
    w.on('exit', () => {
      if (this.worker === w) this.worker = null;
      // A thread that is gone holds no descriptor: any close waiting for it is done.
      for (const done of this.closing.values()) done();
      this.closing.clear();
    });
    return (this.worker = w);
  }

  private receive(m: FromIoThread): void {
    if (m.t === 'closed') {
      this.closing.get(m.id)?.();
      this.closing.delete(m.id);
      return;
    }
    const p = this.ports.get(m.id);
    if (!p) return;
    if (m.t === 'opened') p.didOpen();
    else if (m.t === 'data') p.data(m.bytes);
    else if (m.t === 'written') p.written(m.seq);
    else p.fail(Object.assign(new Error(m.message), { code: m.code, errno: m.errno }));
  }

  /** Opens `path` for reading on the I/O thread; rejects with the system's error (missing, permission). */
  async open(path: string): Promise<ThreadPort> {
    const w = this.start();
    const p = new ThreadPort(this.nextId++, (m) => w.postMessage(m));
    this.ports.set(p.id, p);
    w.ref();
    w.postMessage({ t: 'open', id: p.id, path } satisfies ToIoThread);
    try {
      await p.opened;
    } catch (e) {
      await this.close(p);
      throw e;
    }
    return p;
  }

  /** Stops reading `p`'s descriptor (before the binding closes it); resolves once the thread let go of it. */
  async close(p: ThreadPort): Promise<void> {
    if (!this.ports.delete(p.id)) return;
    p.cancel();
    const w = this.worker;
    if (!w) return;
    await new Promise<void>((resolve) => {
      this.closing.set(p.id, resolve);
      w.postMessage({ t: 'close', id: p.id } satisfies ToIoThread);
    });
    if (this.ports.size === 0) w.unref();
  }
}

const ioThread = new IoThread();

/**
 * `binding` with its ports' reads on the serial I/O thread and writes made here. A port without a descriptor (the
 * mock binding, Windows) is returned as the binding opened it.
 */
export function directIo(binding: Binding): Binding {
  return {
    ...binding,
    list: () => binding.list(),
    async open(options) {
      if (process.platform === 'win32') return binding.open(options);
      // The reading descriptor first: once the binding has opened the port it is locked (TIOCEXCL) against new opens.
      const tp = await ioThread.open(options.path);
      let port: Port;
      try {
        port = await binding.open(options);
      } catch (e) {
        await ioThread.close(tp);
        throw e;
      }
      if (!isUnixPort(port) || port.fd === null) {
        await ioThread.close(tp);
        return port;
      }
      tp.setFd(port.fd);
      const unix = port as Port & UnixPort;
      const closePort = unix.close.bind(unix);
      unix.read = (buffer, offset, length) => tp.read(buffer, offset, length);
      unix.write = (buffer) => {
        // drain() awaits writeOperation before tcdrain(): keep it the pending write, as the binding does.
        const op = tp.write(buffer).finally(() => {
          if (unix.writeOperation === op) unix.writeOperation = null;
        });
        unix.writeOperation = op;
        return op;
      };
      unix.close = async () => {
        await ioThread.close(tp);
        await closePort();
      };
      return port;
    },
  } as Binding;
}
