// firmata-io's transport (a serialport-like EventEmitter) over the project's Transport seam: serial, pty or emulator alike.
import { EventEmitter } from 'node:events';
import type { Transport } from '../link/transport.ts';

/**
 * What firmata-io calls on its "port": write(buffer, cb) and the events open, data, close, error. johnny-five only
 * reaches "ready" after "connect", which firmata-io emits on "open", so open() emits it once the transport is open.
 */
export class FirmataPort extends EventEmitter {
  /** Every byte written, for the deadman's flush and the benchmark's count. */
  bytesWritten = 0;

  constructor(readonly transport: Transport) {
    super();
    transport.onData((bytes) => this.emit('data', Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
    transport.onClose((err) => {
      if (err) this.emit('error', err);
      this.emit('close', err ? { disconnect: true, disconnected: true } : undefined);
    });
  }

  get path(): string {
    return this.transport.name;
  }

  get isOpen(): boolean {
    return this.transport.isOpen;
  }

  async open(): Promise<void> {
    if (!this.transport.isOpen) await this.transport.open();
    this.emit('open');
  }

  write(data: Buffer | Uint8Array, cb?: (err?: Error) => void): boolean {
    try {
      this.transport.write(data instanceof Uint8Array ? data : Uint8Array.from(data));
      this.bytesWritten += data.length;
      cb?.();
    } catch (e) {
      // A write on a closed transport: the deadman cannot reach the board any more; report, never throw into firmata-io.
      cb?.(e as Error);
      this.emit('error', e);
    }
    return true;
  }

  /** Every byte written so far is on its way to the board (serial drain); the deadman's flush before exit. */
  async drain(): Promise<void> {
    await this.transport.drain?.();
  }

  close(cb?: () => void): void {
    void this.transport.close().then(() => cb?.());
  }
}
