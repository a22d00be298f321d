// The byte-pipe interface every MCU transport implements (serial port, emulator, MQTT tunnel); sessions never see which.

export interface Transport {
  /** Human-readable: "/dev/ttyUSB0", "emulator:base", "mqtt:ganglion/r1/tunnel/base". */
  readonly name: string;
  /** Opens the pipe. Rejects with an actionable TransportError (busy, permission, missing). */
  open(): Promise<void>;
  /** Queues bytes for the MCU. Never blocks; throws TransportError when not open. */
  write(bytes: Uint8Array): void;
  /** Bytes from the MCU, in arrival order, any chunking. */
  onData(listener: (bytes: Uint8Array) => void): void;
  /** The pipe closed (cable pulled, process exited, close() called); err is set unless close() was asked for. */
  onClose(listener: (err?: Error) => void): void;
  close(): Promise<void>;
  /** Resolves once every queued byte has left for the wire (serial: tcdrain); absent where writes are immediate. */
  drain?(): Promise<void>;
  readonly isOpen: boolean;
}

export type TransportErrorCode = 'busy' | 'permission' | 'missing' | 'closed' | 'io';

/** An error a user can act on: the message says what to do. */
export class TransportError extends Error {
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}
