// The types a tick module and the loop agree on: the state a tick reads and the action it returns.

export type JointKind = 'position' | 'velocity';

/** One tick's view of the robot, read from the shared state buffer. Treat as read-only; reused each tick. */
export interface StateSnapshot {
  /** [ns] monoNow_ns() when the producer wrote this state (NaN before the first write). */
  stamp_ns: number;
  /** Mobile-base pose from odometry, in the workspace frame; NaN when unknown. */
  base_x_m: number;
  base_y_m: number;
  base_heading_rad: number;
  /** Indexed like the loop's joint list. */
  position_rad: Float64Array;
  velocity_radps: Float64Array;
}

/**
 * What a controller asks for. Position joints take position_rad, velocity joints velocity_radps; a
 * joint left out holds (position) or stops (velocity). A name that is not a joint of that kind makes
 * the envelope refuse the whole action.
 */
export interface Action {
  /** Remote operator id (checked against its heartbeat), or null/absent for an on-robot controller. */
  source?: string | null;
  position_rad?: Readonly<Record<string, number>>;
  velocity_radps?: Readonly<Record<string, number>>;
}

export interface TickInit {
  joints: readonly { name: string; kind: JointKind }[];
  rate_hz: number;
  /** Whatever the caller passed as tick_options to startLoop (structured-cloned). */
  options: unknown;
}

export interface TickInput {
  tick: number;
  now_ns: number;
  period_s: number;
  state: StateSnapshot;
}

/** Created once inside the loop worker. step() must not block or await: it runs inside the period. */
export interface TickController {
  step(input: TickInput): Action | null;
  /** Switch the active controller; throw to refuse (the refusal is reported to the sender). */
  select?(name: string, params: unknown): void;
  /** Settles when asynchronous set-up is over; the loop's timer starts only then (it blocks the thread). */
  ready?: Promise<unknown>;
}

/** A tick module's exports: `export function createTick(init) { ... }`. */
export interface TickModule {
  createTick(init: TickInit): TickController;
}
