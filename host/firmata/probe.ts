// Asks a port whether StandardFirmata answers (REPORT_VERSION at the board's 57600 baud), without johnny-five: for `ganglion doctor`.
import type { Transport } from '../link/transport.ts';

/** Firmata's REPORT_VERSION: the query and the reply's first byte (then major, minor). */
const REPORT_VERSION = 0xf9;
/** [ms] between queries: a board that resets when its port opens misses the first ones. */
const ASK_EVERY_MS = 500;

/** The Firmata protocol version a port reports within timeout_ms, or null when none does. The caller closes the transport. */
export async function probeFirmata(transport: Transport, timeout_ms: number): Promise<{ major: number; minor: number } | null> {
  if (!transport.isOpen) await transport.open();
  const seen: number[] = [];
  return new Promise((resolve) => {
    const finish = (v: { major: number; minor: number } | null) => {
      clearInterval(ask);
      clearTimeout(timer);
      resolve(v);
    };
    transport.onData((bytes) => {
      seen.push(...bytes);
      const i = seen.indexOf(REPORT_VERSION);
      if (i >= 0 && seen.length >= i + 3 && seen[i + 1]! < 0x80 && seen[i + 2]! < 0x80) finish({ major: seen[i + 1]!, minor: seen[i + 2]! });
    });
    const query = () => {
      if (transport.isOpen) transport.write(Uint8Array.of(REPORT_VERSION));
    };
    const ask = setInterval(query, ASK_EVERY_MS);
    const timer = setTimeout(() => finish(null), timeout_ms);
    query();
  });
}
