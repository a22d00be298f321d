// Transport (host/link/transport.ts) over an emulated MCU's USART: the host session cannot tell it from a serial port.
import { TransportError, type Transport } from '../link/transport.ts';

/** The emulator side of the pipe: an in-thread node or a worker proxy. */
export interface UsartPipe {
  /** Bytes for the MCU's RX line. */
  toMcu(bytes: Uint8Array): void;
  /** Subscribe to bytes the MCU transmits; returns the unsubscribe function. */
  fromMcu(listener: (bytes: Uint8Array) => void): () => void;
  /** Subscribe to the emulator dying (worker crash); returns the unsubscribe function. */
  onFailure(listener: (err: Error) => void): () => void;
}

export class EmulatorTransport implements Transport {
  private dataListeners: ((bytes: Uint8Array) => void)[] = [];
  private closeListeners: ((err?: Error) => void)[] = [];
  private unsubscribe: (() => void)[] = [];
  private open_ = false;
  private failed: Error | null = null;

  constructor(
    readonly name: string,
    private readonly pipe: UsartPipe,
  ) {}

  get isOpen(): boolean {
    return this.open_;
  }

  async open(): Promise<void> {
    if (this.failed) throw new TransportError('io', `${this.name}: the emulator stopped (${this.failed.message}); boot it again`);
    if (this.open_) throw new TransportError('busy', `${this.name} is already open; close it first`);
    this.open_ = true;
    this.unsubscribe = [
      this.pipe.fromMcu((bytes) => {
        for (const l of this.dataListeners) l(bytes);
      }),
      this.pipe.onFailure((err) => this.shut(err)),
    ];
  }

  write(bytes: Uint8Array): void {
    if (!this.open_) throw new TransportError('closed', `${this.name} is not open; call open() first`);
    this.pipe.toMcu(bytes);
  }

  onData(listener: (bytes: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onClose(listener: (err?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    this.shut();
  }

  private shut(err?: Error): void {
    if (err) this.failed = err;
    if (!this.open_) return;
    this.open_ = false;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    for (const l of this.closeListeners) l(err);
  }
}
