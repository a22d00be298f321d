// The messages between the event loop's thread and the serial I/O thread (serial-io-thread.ts), one port per id, and what both sides read from a failed system call.

/** A system call's error as Node gives it. */
export type SysError = Error & { code?: string; errno?: number };

/** The kernel had no room (or no bytes) right now: try again, it is not a failure. */
export const RETRY_CODES: ReadonlySet<string> = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);
export const mustRetry = (e: unknown): boolean => RETRY_CODES.has((e as SysError).code ?? '');

export type ToIoThread =
  /** Open the device for reading (before the binding opens and locks it). */
  | { t: 'open'; id: number; path: string }
  /** The binding's descriptor, for the writes handed over. */
  | { t: 'fd'; id: number; fd: number }
  /** Bytes the kernel had no room for (or that must queue behind such bytes), written in `seq` order. */
  | { t: 'write'; id: number; seq: number; bytes: Uint8Array }
  | { t: 'close'; id: number };

export type FromIoThread =
  | { t: 'opened'; id: number }
  | { t: 'data'; id: number; bytes: Uint8Array }
  | { t: 'written'; id: number; seq: number }
  /** A read or write failed: the port is unusable (the device went away, or it was closed under us). */
  | { t: 'error'; id: number; message: string; code?: string; errno?: number }
  | { t: 'closed'; id: number };
