// A serial binding whose reads and writes are non-blocking system calls on this thread, woken by the binding's own poller.
//
// Why: node-serialport's Unix binding does each read and write with fs.read/fs.write, i.e. on libuv's thread pool. A
// frame in either direction then costs two thread wake-ups (the pool thread, then the loop again), and on a loaded
// machine each wake-up is a wait for a core: the e-stop's frames and every setpoint paid it. The port is opened
// O_NONBLOCK by the binding, so the same system calls made here never block; when the kernel has no room (or no bytes)
// they wait on the binding's poller, as the binding itself does.
import { readSync, writeSync } from 'node:fs';
import type { SerialBinding } from './serial.ts';

type Binding = NonNullable<SerialBinding>;
type Port = Awaited<ReturnType<Binding['open']>>;

/** What the Unix binding's port has beside the interface: its descriptor and a one-shot readiness poller. */
interface UnixPort {
  fd: number | null;
  poller: { once(event: 'readable' | 'writable', cb: (err: Error | null) => void): unknown };
  writeOperation: Promise<void> | null;
}

const isUnixPort = (p: object): p is UnixPort & object =>
  typeof (p as Partial<UnixPort>).fd === 'number' && typeof (p as Partial<UnixPort>).poller?.once === 'function';

type SysError = Error & { code?: string; errno?: number; disconnect?: boolean; canceled?: boolean };

/** The kernel had no bytes or no room right now: wait for the poller and try again. */
const RETRY = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);
/** Codes that mean the device went away (a cable pull): the stream closes with the error, as the binding does. */
const GONE = new Set(['EBADF', 'ENXIO', 'UNKNOWN']);

function marked(err: SysError): SysError {
  if (GONE.has(err.code ?? '') || err.errno === -1) err.disconnect = true;
  return err;
}

function closedError(): SysError {
  return Object.assign(new Error('Port is not open'), { canceled: true });
}

/** Resolves when the poller reports `event`; rejects with its error (a closing port cancels with `canceled`). */
function ready(port: UnixPort, event: 'readable' | 'writable'): Promise<void> {
  return new Promise((resolve, reject) => {
    port.poller.once(event, (err) => (err ? reject(err) : resolve()));
  });
}

/** Reads what is there, at least one byte: waits for readiness first, so an empty line costs no failed call. */
export async function readNow(port: UnixPort, buffer: Buffer, offset: number, length: number): Promise<{ bytesRead: number; buffer: Buffer }> {
  for (;;) {
    await ready(port, 'readable');
    if (port.fd === null) throw closedError();
    try {
      const bytesRead = readSync(port.fd, buffer, offset, length, null);
      if (bytesRead > 0) return { bytesRead, buffer };
    } catch (e) {
      if (!RETRY.has((e as SysError).code ?? '')) throw marked(e as SysError);
    }
  }
}

/** Writes all of `buffer`: at once when the kernel has room (the common case), else as the poller says it has. */
export async function writeNow(port: UnixPort, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    if (port.fd === null) throw new Error('Port is not open');
    try {
      offset += writeSync(port.fd, buffer, offset, buffer.length - offset);
    } catch (e) {
      if (!RETRY.has((e as SysError).code ?? '')) throw marked(e as SysError);
      await ready(port, 'writable');
    }
  }
}

/**
 * `binding` with its ports' read and write done here. A port without a descriptor and a poller (the mock binding,
 * Windows) is returned as the binding opened it.
 */
export function directIo(binding: Binding): Binding {
  return {
    ...binding,
    list: () => binding.list(),
    async open(options) {
      const port: Port = await binding.open(options);
      if (!isUnixPort(port)) return port;
      const unix = port as Port & UnixPort;
      unix.read = (buffer, offset, length) => readNow(unix, buffer, offset, length);
      unix.write = (buffer) => {
        // drain() awaits writeOperation before tcdrain(): keep it the pending write, as the binding does.
        const op = writeNow(unix, buffer).finally(() => {
          if (unix.writeOperation === op) unix.writeOperation = null;
        });
        unix.writeOperation = op;
        return op;
      };
      return port;
    },
  } as Binding;
}
