// Measurements for benchmarks: emulator speed (simulated MHz), firmware CPU busy fraction per control period.
import type { EmulatedNode } from './node.ts';
import { textSymbols } from './firmware.ts';

export interface SpeedResult {
  emulated_ms: number;
  wall_ms: number;
  /** [MHz] emulated CPU cycles per wall-clock microsecond. */
  simulated_mhz: number;
  /** simulated_mhz / the board's clock: above 1 means faster than real time. */
  realtime_factor: number;
}

/** Run `emulated_ms` as fast as possible and time it. Whatever the node is doing (plants, traffic) is included. */
export function measureSpeed(node: EmulatedNode, emulated_ms: number, between?: () => void): SpeedResult {
  const c0 = node.cycles;
  const t0 = performance.now();
  // Run in 1 ms steps so `between` (e.g. a setpoint stream) can act like a host would.
  const end = c0 + Math.round((emulated_ms * node.clock_hz) / 1000);
  while (node.cycles < end) {
    node.runUntilCycles(Math.min(end, node.cycles + node.clock_hz / 1000));
    between?.();
  }
  const wall_ms = performance.now() - t0;
  const cycles = node.cycles - c0;
  const simulated_mhz = cycles / (wall_ms * 1000);
  return { emulated_ms: (cycles * 1000) / node.clock_hz, wall_ms, simulated_mhz, realtime_factor: (simulated_mhz * 1e6) / node.clock_hz };
}

export interface IdleRange {
  /** [bytes] flash address range [start, end) that counts as idle. */
  startByte: number;
  endByte: number;
  /** How it was found, for reports. */
  source: string;
}

/**
 * The firmware's idle code from its ELF. The firmware marks it with the function `gng_idle` (noinline) or the
 * labels `gng_idle_begin` / `gng_idle_end`; see docs/sim.md for what the firmware has to provide.
 */
export function findIdleRange(elfPath: string): IdleRange {
  const syms = textSymbols(elfPath);
  const begin = syms.find((s) => s.name === 'gng_idle_begin');
  const end = syms.find((s) => s.name === 'gng_idle_end');
  if (begin && end && end.address > begin.address) {
    return { startByte: begin.address, endByte: end.address, source: `labels gng_idle_begin..gng_idle_end (0x${begin.address.toString(16)}..0x${end.address.toString(16)})` };
  }
  const fn = syms.find((s) => s.name === 'gng_idle' && s.size > 0);
  if (fn) return { startByte: fn.address, endByte: fn.address + fn.size, source: `function gng_idle (0x${fn.address.toString(16)}, ${fn.size} bytes)` };
  throw new Error(
    `${elfPath} has no idle marker: the busy-fraction measurement needs a function gng_idle (noinline) that the main ` +
      'loop calls when there is nothing to do, or labels gng_idle_begin/gng_idle_end around the idle spin',
  );
}

export interface BusyResult {
  periods: number;
  /** Fraction of each 1 ms control period the CPU spent outside the idle code. */
  mean: number;
  max: number;
  p99: number;
  /** Busy fraction per period. */
  perPeriod: number[];
}

/**
 * Run `periods` control periods (1 ms each) counting cycles outside `range` as busy. Cycles in SLEEP are
 * always idle, so a firmware that sleeps when idle can be measured with range = null.
 */
export function measureBusy(node: EmulatedNode, range: IdleRange | null, periods: number, between?: () => void): BusyResult {
  const mcu = node.mcu;
  const period = node.clock_hz / 1000;
  const perPeriod: number[] = [];
  mcu.setIdleRange(range);
  try {
    for (let i = 0; i < periods; i++) {
      const c0 = mcu.cycles;
      const idle0 = mcu.idleCycles + mcu.sleepCycles;
      node.runUntilCycles(c0 + period);
      const span = mcu.cycles - c0;
      perPeriod.push(1 - (mcu.idleCycles + mcu.sleepCycles - idle0) / span);
      between?.();
    }
  } finally {
    mcu.setIdleRange(null);
  }
  const sorted = [...perPeriod].sort((a, b) => a - b);
  return {
    periods,
    mean: perPeriod.reduce((a, b) => a + b, 0) / periods,
    max: sorted[sorted.length - 1] ?? 0,
    p99: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0,
    perPeriod,
  };
}
