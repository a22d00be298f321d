// Messages between the main thread and an emulator worker, as zod schemas: both sides parse what they receive.
import { z } from 'zod';

const Bytes = z.instanceof(Uint8Array);

/** Inspection and control calls a WorkerNode forwards; each maps to the EmulatedNode method of the same name. */
export const CallSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('snapshot'), args: z.tuple([]) }),
  z.strictObject({ method: z.literal('stats'), args: z.tuple([]) }),
  z.strictObject({ method: z.literal('setInput'), args: z.tuple([z.string(), z.boolean()]) }),
  z.strictObject({ method: z.literal('pressEstop'), args: z.tuple([]) }),
  z.strictObject({ method: z.literal('releaseEstop'), args: z.tuple([]) }),
  z.strictObject({ method: z.literal('pressButton'), args: z.tuple([z.string()]) }),
  z.strictObject({ method: z.literal('releaseButton'), args: z.tuple([z.string()]) }),
  z.strictObject({ method: z.literal('setPot'), args: z.tuple([z.union([z.string(), z.number().int()]), z.number()]) }),
  z.strictObject({ method: z.literal('driveEncoder'), args: z.tuple([z.number().int(), z.number().nullable()]) }),
  z.strictObject({ method: z.literal('pinLevel'), args: z.tuple([z.string()]) }),
  z.strictObject({ method: z.literal('pinDuty'), args: z.union([z.tuple([z.string()]), z.tuple([z.string(), z.number().positive()])]) }),
  z.strictObject({ method: z.literal('pinsLowAt'), args: z.tuple([z.array(z.string()).min(1), z.number().positive()]) }),
]);
export type Call = z.infer<typeof CallSchema>;
export type CallMethod = Call['method'];

export const ToWorkerSchema = z.discriminatedUnion('type', [
  /** sent_ns: monoNow_ns() when the host wrote the bytes; the emulated MCU receives them at the cycle that stands for it. */
  z.strictObject({ type: z.literal('rx'), bytes: Bytes, sent_ns: z.number().nonnegative() }),
  z.strictObject({ type: z.literal('call'), id: z.number().int(), call: CallSchema }),
  z.strictObject({ type: z.literal('stop') }),
]);
export type ToWorker = z.infer<typeof ToWorkerSchema>;

export const PacerStatsSchema = z.strictObject({
  lag_ms: z.number(),
  max_lag_ms: z.number(),
  lag_events: z.number().int(),
  wall_ms: z.number(),
  /** [ms] lag dropped instead of caught up. */
  dropped_ms: z.number(),
  /** [ms] emulated time. */
  time_ms: z.number(),
  cycles: z.number(),
  /** The worker thread's nice value as the kernel reports it (see EMULATOR_NICE). */
  nice: z.number().int(),
});
export type WorkerStats = z.infer<typeof PacerStatsSchema>;

/**
 * When a set of pins went low for good: the cycle of the last edge; at_ns, the monotonic instant that cycle stands for
 * (RealtimePacer.monoAt_ns: when a real MCU would have done it); ran_ns, when the emulator ran it (the end of that
 * pacer turn, TurnClock; null once it is older than the turns kept), later than at_ns by the emulator's own lag.
 */
export const PinsLowSchema = z.strictObject({ cycle: z.number(), at_ns: z.number(), ran_ns: z.number().nullable() });
export type PinsLow = z.infer<typeof PinsLowSchema>;

export const FromWorkerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), time_ms: z.number() }),
  z.strictObject({ type: z.literal('tx'), bytes: Bytes }),
  /** ok: value holds the method's return value; otherwise error says why it was refused. */
  z.strictObject({ type: z.literal('result'), id: z.number().int(), ok: z.boolean(), value: z.unknown().optional(), error: z.string().optional() }),
  z.strictObject({ type: z.literal('lag'), lag_ms: z.number() }),
  z.strictObject({ type: z.literal('fatal'), error: z.string() }),
]);
export type FromWorker = z.infer<typeof FromWorkerSchema>;

/**
 * The same check as FromWorkerSchema for its hottest message, without zod's allocations: the serial bytes of every
 * emulated slice (thousands a second per node) arrive as {type: 'tx', bytes}. Anything else goes to the schema.
 */
export function asTxMessage(raw: unknown): (FromWorker & { type: 'tx' }) | null {
  if (typeof raw !== 'object' || raw === null || (raw as { type?: unknown }).type !== 'tx') return null;
  const m = raw as { type: 'tx'; bytes?: unknown };
  let keys = 0;
  for (const _k in m) keys++;
  return keys === 2 && m.bytes instanceof Uint8Array ? (m as FromWorker & { type: 'tx' }) : null;
}

/** workerData: everything a worker needs to build its node (the wiring is re-validated there). */
export const WorkerInitSchema = z.strictObject({
  wiring: z.unknown(),
  board: z.unknown(),
  hexPath: z.string(),
  eeprom: Bytes.optional(),
  chunk_ms: z.number().positive().optional(),
  reportLag_ms: z.number().positive().optional(),
  /** Hidden wiring faults by joint name; re-validated by the node (MotorFaultsSchema). */
  faults: z.record(z.string(), z.unknown()).optional(),
  /** How much nicer than the process the worker thread runs (0..19): see EMULATOR_NICE in worker-node.ts. */
  nice: z.number().int().min(0).max(19).optional(),
});
export type WorkerInit = z.infer<typeof WorkerInitSchema>;
