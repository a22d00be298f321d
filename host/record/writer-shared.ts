// The recorder's two threads agree on this: what a posted batch holds, and where the writer's counters and acknowledgements sit in shared memory.
import type { WriterOp } from './session-writer.ts';

/** Ops in order; with a ticket, the writer stores it at CTL_DONE once they are applied (the caller may wait for it). */
export interface WriterBatch {
  ops: WriterOp[];
  ticket?: number;
}

/** Int32 slots of the control buffer. */
export const CTL_DONE = 0;
/** Non-zero once the writer failed: the length of its message in the error buffer. */
export const CTL_FAILED = 1;
export const CTL_SLOTS = 2;

/** Float64 slots of the statistics buffer. */
export const STAT_SAMPLES = 0;
export const STAT_BYTES = 1;
/** [ms] time the writer thread spent encoding and writing. */
export const STAT_BUSY_MS = 2;
export const STAT_SLOTS = 3;

export const ERROR_BYTES = 512;
