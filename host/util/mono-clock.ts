// Monotonic nanoseconds as a double: one clock for every thread of the process, read without allocating.

/** Monotonic nanoseconds, the same clock in every thread of the process (so stamps can cross threads). */
export function monoNow_ns(): number {
  // ns since boot fits a double exactly for 104 days of uptime, and to 2 ns for 208; both are plenty.
  // Not hrtime.bigint(): every BigInt is a heap allocation, and the loop's spin calls this thousands of times a
  // period (~47 KB a tick at 1 kHz), so the worker scavenged every ~170 ms, 0.4 ms each: that was the loop's p99
  // period error. The [s, ns] pair of hrtime() does not escape here, so optimized code allocates nothing.
  const t = process.hrtime();
  return t[0] * 1e9 + t[1];
}

// performance.now() and hrtime() read the same monotonic clock (libuv's uv_hrtime) from different origins; the origin
// difference is fixed for the process, so it is measured once.
const PERF_ORIGIN_NS = monoNow_ns() - performance.now() * 1e6;

/** A monoNow_ns() stamp on the performance.now() clock [ms] (what timers and performance.timeOrigin use). */
export function monoToPerf_ms(stamp_ns: number): number {
  return (stamp_ns - PERF_ORIGIN_NS) / 1e6;
}
