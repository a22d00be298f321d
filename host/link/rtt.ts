// Retransmission timeout from measured round trips: Jacobson/Karels SRTT/RTTVAR (RFC 6298), Klipper's 25 ms minimum,
// and a maximum the session sets from the MCU's watchdog window (Klipper's 5 s when none is given).

export const RTO_MIN_MS = 25;
export const RTO_MAX_MS = 5000;
/** Before the first sample: long enough for a 1 Mbaud link under load, short enough to retry a lost identify soon. */
export const RTO_INITIAL_MS = 200;

export interface RttStats {
  /** [ms] the cap on rtoMs */
  rtoMaxMs: number;
  srttMs: number | null;
  rttvarMs: number | null;
  lastMs: number | null;
  minMs: number | null;
  rtoMs: number;
}

export class RttEstimator {
  private srtt: number | null = null;
  private rttvar: number | null = null;
  private last: number | null = null;
  private min: number | null = null;
  private backoff = 1;

  /** [ms] `maxMs` caps the timeout, backoff included: a serial link that loses frames to noise is not congested, so
   *  backing off past the watchdog window only guarantees a trip. `maxBackoff` caps the factor the same way
   *  (default: TCP's and Klipper's doubling until the cap). */
  constructor(readonly maxMs = RTO_MAX_MS, readonly maxBackoff = 1 << 10) {}

  /** A round trip of a frame sent exactly once (Karn's rule: the caller never samples retransmitted frames). */
  sample(rttMs: number): void {
    this.last = rttMs;
    this.min = this.min === null ? rttMs : Math.min(this.min, rttMs);
    if (this.srtt === null || this.rttvar === null) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rttMs);
      this.srtt = 0.875 * this.srtt + 0.125 * rttMs;
    }
    // A fresh sample from an unretransmitted frame shows the path works again: drop the backoff (Karn).
    this.backoff = 1;
  }

  /** An ack moved the window forward: the path delivers again, so the backoff goes (as TCP does on new data acked);
   *  unlike sample() this takes no round trip, which stream frames and retransmissions cannot give (Karn). */
  progress(): void {
    this.backoff = 1;
  }

  /** A retransmission timer expired: double the timeout until a clean sample arrives. */
  timedOut(): void {
    this.backoff = Math.min(this.backoff * 2, this.maxBackoff);
  }

  get rtoMs(): number {
    const base = this.srtt === null || this.rttvar === null ? RTO_INITIAL_MS : this.srtt + Math.max(1, 4 * this.rttvar);
    return Math.min(this.maxMs, Math.max(RTO_MIN_MS, base) * this.backoff);
  }

  stats(): RttStats {
    return { rtoMaxMs: this.maxMs, srttMs: this.srtt, rttvarMs: this.rttvar, lastMs: this.last, minMs: this.min, rtoMs: this.rtoMs };
  }
}
