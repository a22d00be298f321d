// Per-element feature statistics as LeRobot's compute_stats.get_feature_stats computes them (min, max, mean, std (population), count).
export interface Stats {
  min: number[];
  max: number[];
  mean: number[];
  std: number[];
  count: number[];
}

/** values: one per frame, each a number, a bigint or a number[] of `width` elements. */
export function featureStats(values: readonly unknown[], width: number): Stats {
  const min = Array<number>(width).fill(Infinity);
  const max = Array<number>(width).fill(-Infinity);
  const sum = Array<number>(width).fill(0);
  const sq = Array<number>(width).fill(0);
  const at = (v: unknown, i: number): number => (Array.isArray(v) ? (v[i] as number) : Number(v as number | bigint));
  for (const v of values) {
    for (let i = 0; i < width; i++) {
      const x = at(v, i);
      if (x < min[i]!) min[i] = x;
      if (x > max[i]!) max[i] = x;
      sum[i]! += x;
    }
  }
  const n = values.length;
  const mean = sum.map((s) => s / n);
  // Two passes: the one-pass formula loses precision on large, near-constant values (indexes, timestamps).
  for (const v of values) for (let i = 0; i < width; i++) sq[i]! += (at(v, i) - mean[i]!) ** 2;
  return { min, max, mean, std: sq.map((s) => Math.sqrt(s / n)), count: [n] };
}
