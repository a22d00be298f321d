// Commands to a running loop and the messages it sends back; commands are validated here, at the loop's boundary.
import { z } from 'zod';
import type { CadenceSnapshot } from './cadence.ts';
import type { ClampReason } from './envelope.ts';
import { zodIssue } from '../util/zod-issue.ts';
import type { RealtimeStatus } from './realtime.ts';

export const CommandSchema = z.discriminatedUnion('type', [
  /** Switch the tick module's active controller (takes effect at the next tick). */
  z.strictObject({ type: z.literal('controller'), name: z.string().min(1), params: z.unknown().optional() }),
  /** Latch the e-stop: every joint gets its safe default until 'clear'. */
  z.strictObject({ type: z.literal('estop'), reason: z.string().min(1) }),
  /** Clear the e-stop and stall latches. */
  z.strictObject({ type: z.literal('clear') }),
  /** A remote source is alive; at_ns is monoNow_ns() when its message arrived (default: when applied). */
  z.strictObject({ type: z.literal('heartbeat'), source: z.string().min(1), at_ns: z.number().finite().optional() }),
]);
export type Command = z.infer<typeof CommandSchema>;

/** On the command port, each command carries an id; setpoints report the newest applied id. */
export interface CommandEnvelope {
  id: number;
  command: Command;
}

export function parseCommand(raw: unknown): Command {
  const r = CommandSchema.safeParse(raw);
  if (!r.success) {
    throw new Error(`loop command: ${zodIssue(r.error)}`);
  }
  return r.data;
}

export interface AppliedMessage {
  type: 'applied';
  id: number;
  /** The tick at which the command took effect (its setpoints already reflect it). */
  tick: number;
  ok: boolean;
  error?: string;
}

export interface LoopStatsMessage {
  type: 'stats';
  cadence: CadenceSnapshot;
  /** The cadence line, formatted LeRobot-style. */
  line: string;
  /** Clamps per reason since the previous stats message. */
  clamps: Partial<Record<ClampReason, number>>;
  tick_errors: number;
  /** Ticks where the state writer held the seqlock and the previous state was used. */
  state_contended: number;
  spin_margin_us: number;
}

/** Latch changes and other things an operator must see. */
export interface LoopEventMessage {
  type: 'event';
  tick: number;
  kind: 'estop' | 'clear' | 'stall' | 'tick_error';
  joint?: string;
  text: string;
}

export type WorkerMessage =
  | { type: 'ready'; realtime: RealtimeStatus }
  | AppliedMessage
  | LoopStatsMessage
  | LoopEventMessage
  | { type: 'stopped'; cadence: CadenceSnapshot };
