// Reconnection after a lost link: reopen the port and re-handshake, with an exponential backoff up to a cap, until it
// works or the session stops wanting it. Each attempt is the caller's; this file only paces them.
export interface ReconnectOptions {
  /** [ms] first and maximum delay between attempts. */
  backoffMs: [number, number];
  /** Try once at once before waiting (an MCU that only rebooted on a healthy port). */
  immediateFirst: boolean;
  /** False once the session closed or reconnected by other means: the loop ends. */
  wanted(): boolean;
  /** One attempt; throws when it failed. */
  attempt(first: boolean): Promise<void>;
  failed(err: Error): void;
}

/** Runs attempts until one succeeds or `wanted()` turns false. `wake` cuts the current wait short (on close). */
export async function reconnectLoop(o: ReconnectOptions, setWake: (wake: (() => void) | null) => void): Promise<void> {
  let delay = o.backoffMs[0];
  let first = true;
  try {
    while (o.wanted()) {
      if (!(first && o.immediateFirst)) {
        await new Promise<void>((r) => {
          const timer = setTimeout(r, delay);
          setWake(() => { clearTimeout(timer); r(); });
        });
      }
      if (!o.wanted()) return;
      try {
        await o.attempt(first);
        return;
      } catch (e) {
        if (!o.wanted()) return;
        o.failed(e as Error);
        delay = Math.min(o.backoffMs[1], delay * 2);
      } finally {
        first = false;
      }
    }
  } finally {
    setWake(null);
  }
}
