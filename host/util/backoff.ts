// Capped exponential backoff for loops that can fail fast (reconnect, re-arm, replan, retry a task): the wait doubles per failure up to a cap, and a success resets it.
export interface BackoffOptions {
  /** [ms] the wait after the first failure. */
  initial_ms: number;
  /** [ms] the wait never grows past this. */
  max_ms: number;
  /** Growth per consecutive failure (default 2). */
  factor?: number;
  /** Share of each wait drawn at random, in [0, 1): many robots restarting at once do not retry in lockstep (default 0). */
  jitter?: number;
  /** Random source for the jitter (tests pass a fixed one). */
  random?: () => number;
}

export class Backoff {
  private failures = 0;
  private readonly factor: number;

  constructor(private readonly o: BackoffOptions) {
    if (!(o.initial_ms > 0) || !(o.max_ms >= o.initial_ms)) throw new Error(`backoff: need 0 < initial_ms (${o.initial_ms}) <= max_ms (${o.max_ms})`);
    this.factor = o.factor ?? 2;
    if (!(this.factor >= 1)) throw new Error(`backoff: factor ${this.factor} must be at least 1`);
    const j = o.jitter ?? 0;
    if (!(j >= 0 && j < 1)) throw new Error(`backoff: jitter ${j} must be in [0, 1)`);
  }

  /** Consecutive failures since the last success. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure; returns how long to wait before the next try [ms]. */
  fail(): number {
    const base_ms = Math.min(this.o.max_ms, this.o.initial_ms * this.factor ** this.failures);
    this.failures++;
    const j = this.o.jitter ?? 0;
    return j > 0 ? base_ms * (1 - j * (this.o.random ?? Math.random)()) : base_ms;
  }

  /** A success: the next failure waits initial_ms again. */
  succeed(): void {
    this.failures = 0;
  }
}

/** Waits ms, or less when the signal aborts (it then resolves; the caller checks the signal). */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
