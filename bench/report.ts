// Benchmark figures and their printing: every figure sits beside its baseline or physical floor from the same run.

export interface Figure {
  /** What was measured, e.g. "command->ack RTT, posix firmware over pty (median)". */
  name: string;
  value: number;
  unit: string;
  /** The baseline or floor measured (or derived) in the same run, with what it is. */
  baseline?: { label: string; value: number; unit?: string };
  /** The goal, as text, and whether this figure meets it. */
  goal?: string;
  pass?: boolean;
  note?: string;
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

export function printSection(title: string, figures: Figure[]): void {
  console.log(`\n## ${title}`);
  for (const f of figures) {
    const base = f.baseline ? `   | ${f.baseline.label}: ${fmt(f.baseline.value)} ${f.baseline.unit ?? f.unit}` : '';
    const goal = f.goal ? `   | goal ${f.goal}: ${f.pass === undefined ? '-' : f.pass ? 'MET' : 'NOT MET'}` : '';
    console.log(`- ${f.name}: ${fmt(f.value)} ${f.unit}${base}${goal}`);
    if (f.note) console.log(`    ${f.note}`);
  }
}

/** Percentile of a sample (nearest-rank on a sorted copy). */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
