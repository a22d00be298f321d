// Fixed-size log-linear histogram of non-negative nanosecond values: O(1) add/remove, no allocation, ~3 % resolution.

/** Values below this are counted exactly (one bucket per ns). */
const LINEAR_NS = 64;
/** Buckets per power of two above LINEAR_NS: 32 gives a bucket width of at most 1/32 of its value. */
const SUB_BUCKETS = 32;
const SUB_BITS = 5;
/** Values at or above 2^40 ns (about 18 minutes) land in the last bucket; no tick lasts that long. */
const MAX_EXP = 40;
export const HISTOGRAM_BUCKETS = LINEAR_NS + (MAX_EXP - 6 + 1) * SUB_BUCKETS;

/** floor(log2(v)) for an integer v >= 1 up to 2^53, without Math.log2's rounding near powers of two. */
function exponentOf(v: number): number {
  return v < 0x1_0000_0000 ? 31 - Math.clz32(v) : 63 - Math.clz32(Math.floor(v / 0x1_0000_0000));
}

export function bucketOf(value_ns: number): number {
  const v = value_ns > 0 ? Math.floor(value_ns) : 0; // NaN and negatives count as 0
  if (v < LINEAR_NS) return v;
  const e = exponentOf(v);
  if (e > MAX_EXP) return HISTOGRAM_BUCKETS - 1;
  const sub = Math.floor(v / 2 ** (e - SUB_BITS)) - SUB_BUCKETS;
  return LINEAR_NS + (e - 6) * SUB_BUCKETS + sub;
}

/** Smallest value that falls in bucket i. */
export function bucketLow_ns(i: number): number {
  if (i < LINEAR_NS) return i;
  const e = 6 + Math.floor((i - LINEAR_NS) / SUB_BUCKETS);
  const sub = (i - LINEAR_NS) % SUB_BUCKETS;
  return (SUB_BUCKETS + sub) * 2 ** (e - SUB_BITS);
}

/** Largest integer value that falls in bucket i. */
export function bucketHigh_ns(i: number): number {
  return i >= HISTOGRAM_BUCKETS - 1 ? Infinity : bucketLow_ns(i + 1) - 1;
}

export class LogHistogram {
  private readonly counts = new Uint32Array(HISTOGRAM_BUCKETS);
  total = 0;

  add(value_ns: number): void {
    this.counts[bucketOf(value_ns)]!++;
    this.total++;
  }

  /** Removes a value added earlier (the rolling window evicting its oldest sample). */
  remove(value_ns: number): void {
    const b = bucketOf(value_ns);
    if (this.counts[b]! > 0) {
      this.counts[b]!--;
      this.total--;
    }
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /**
   * Nearest-rank percentile (p in 0..100), reported as the bucket's upper edge so it never
   * understates a latency; NaN when empty. Cost is O(buckets), so call it off the hot path.
   */
  percentile_ns(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return bucketHigh_ns(i);
    }
    return bucketHigh_ns(HISTOGRAM_BUCKETS - 1);
  }
}
