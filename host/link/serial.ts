// Serial-port Transport (node-serialport 13) with an injectable binding, exclusive lock, and OS errors turned
// into sentences that say what to do.
import { SerialPort } from 'serialport';
import { SerialPortStream, type OpenOptions } from '@serialport/stream';
import type { Board } from '../hw/board.ts';
import { TransportError, type Transport } from './transport.ts';
import { directIo } from './serial-direct-io.ts';

/** A node-serialport binding (its types package has no ESM type entry, so take the type from the stream's options). */
export type SerialBinding = OpenOptions['binding'];

export interface SerialOptions {
  path: string;
  /** [baud] take it from the board profile (SerialTransport.forBoard). */
  baudRate: number;
  /** Default: the OS binding, its reads and writes made on this thread (serial-direct-io.ts). Tests inject @serialport/binding-mock or a failing one. */
  binding?: SerialBinding;
}

/**
 * Maps a binding's open error to an actionable TransportError. The native binding throws plain Errors whose text
 * carries strerror ("Permission denied, cannot open /dev/ttyUSB0", "Resource temporarily unavailable Cannot lock
 * port"), with no errno code, so the match is on the text (and on `code` when a binding sets one).
 */
export function mapOpenError(path: string, err: Error & { code?: string }): TransportError {
  const m = `${err.code ?? ''} ${err.message}`;
  if (/EACCES|EPERM|Permission denied|Operation not permitted/i.test(m)) {
    return new TransportError('permission', `permission denied on ${path}: add yourself to the dialout group (sudo usermod -aG dialout $USER), then log out and in`);
  }
  if (/EBUSY|EAGAIN|lock|busy|temporarily unavailable/i.test(m)) {
    return new TransportError('busy', `${path} is busy: another program has it open (a serial monitor? ModemManager?)`);
  }
  if (/ENOENT|ENXIO|ENODEV|No such file|No such device/i.test(m)) {
    return new TransportError('missing', `no serial port ${path}: is the board plugged in? \`ganglion doctor\` lists ports`);
  }
  return new TransportError('io', `cannot open ${path}: ${err.message}`);
}

const OS_BINDING = directIo(SerialPort.binding);

export class SerialTransport implements Transport {
  readonly name: string;
  private port: SerialPortStream | null = null;
  /** Ports we closed on purpose: their 'close' event carries no error (the Transport contract). */
  private readonly closing = new WeakSet<SerialPortStream>();
  private readonly dataListeners: ((b: Uint8Array) => void)[] = [];
  private readonly closeListeners: ((err?: Error) => void)[] = [];

  constructor(private readonly o: SerialOptions) {
    this.name = o.path;
  }

  static forBoard(path: string, board: Board, binding?: SerialBinding): SerialTransport {
    return new SerialTransport({ path, baudRate: board.baud, binding });
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  /** Opens (or reopens, after a close or a cable pull) the port; listeners stay registered across reopens. */
  async open(): Promise<void> {
    if (this.isOpen) return;
    const port = new SerialPortStream({
      binding: this.o.binding ?? OS_BINDING,
      path: this.o.path,
      baudRate: this.o.baudRate,
      autoOpen: false,
      // flock(): a second program (or a second ganglion) opening the port gets "busy" instead of stolen bytes.
      lock: true,
    });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(mapOpenError(this.o.path, err)) : resolve()));
    });
    port.on('data', (b: Buffer) => {
      for (const l of this.dataListeners) l(b);
    });
    // Errors also surface as 'close' with the error (disconnect) or as write failures; a listener keeps Node from
    // treating them as uncaught.
    port.on('error', () => undefined);
    port.on('close', (err?: Error | null) => {
      if (this.port === port) this.port = null;
      const why = this.closing.has(port) ? undefined : new TransportError('closed', `${this.o.path} closed${err ? `: ${err.message}` : ''}`);
      for (const l of this.closeListeners) l(why);
    });
    this.port = port;
  }

  write(bytes: Uint8Array): void {
    if (!this.port?.isOpen) throw new TransportError('closed', `${this.o.path} is not open`);
    this.port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** What a process about to exit waits for: the last bytes (safe outputs) written out of the port. */
  drain(): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.drain(() => resolve()));
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (err?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    const port = this.port;
    if (!port) return;
    this.port = null;
    this.closing.add(port);
    if (!port.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
