// The loop's shared memory: joint state in (seqlock), setpoints out (seqlock + notify, and a ring of recent ticks), and a control word (stop).
import type { StateSnapshot } from './contract.ts';
import { allocateSeqlock, SeqlockF64 } from './seqlock.ts';
import { allocateSeqRing, SeqRingF64 } from './seqring.ts';
import { monoNow_ns } from '../util/mono-clock.ts';

/** Plain data: structured-clones into any worker, which then sees the same memory. */
export interface LoopShared {
  joints: readonly string[];
  state: SharedArrayBuffer;
  setpoints: SharedArrayBuffer;
  /** The last HISTORY_TICKS ticks' setpoints, keyed by tick: a consumer that fell behind still reads every tick it missed. */
  history: SharedArrayBuffer;
  /** Int32 words: [0] stop flag (the loop sleeps on it, so setting + notifying wakes it at once). */
  control: SharedArrayBuffer;
}

// State layout: [stamp_ns, base_x_m, base_y_m, base_heading_rad, position_rad x n, velocity_radps x n]
const S_STAMP = 0;
const S_BASE_X = 1;
const S_BASE_Y = 2;
const S_BASE_HEADING = 3;
const S_JOINTS = 4;
// Setpoint layout: [tick, stamp_ns, command_id, estop, value x n, torque x n, safe x n]
const P_TICK = 0;
const P_STAMP = 1;
const P_COMMAND = 2;
const P_ESTOP = 3;
const P_JOINTS = 4;

export const CONTROL_STOP = 0;

/**
 * Ticks the history ring holds: ~1 s at 1 kHz. A consumer whose event loop is held longer than that (a GC pause, a
 * long synchronous job) loses the oldest ticks it missed, and says how many.
 */
export const HISTORY_TICKS = 1024;

export function createLoopShared(joints: readonly string[]): LoopShared {
  if (joints.length === 0) throw new Error('the loop needs at least one joint');
  if (new Set(joints).size !== joints.length) throw new Error(`joint names must be unique: ${joints.join(', ')}`);
  const n = joints.length;
  const state = allocateSeqlock(S_JOINTS + 2 * n);
  new Float64Array(state, 8).fill(NaN); // unknown until the producer writes: NaN makes the envelope hold
  return {
    joints: [...joints],
    state,
    setpoints: allocateSeqlock(P_JOINTS + 3 * n),
    history: allocateSeqRing(HISTORY_TICKS, P_JOINTS + 3 * n),
    control: new SharedArrayBuffer(4 * 4),
  };
}

export interface JointStateInput {
  position_rad?: number;
  velocity_radps?: number;
}

/** The producer side of the state (whoever decodes MCU telemetry). One writer per LoopShared. */
export class StateWriter {
  private readonly lock: SeqlockF64;
  private readonly index = new Map<string, number>();
  constructor(readonly shared: LoopShared) {
    this.lock = new SeqlockF64(shared.state);
    shared.joints.forEach((j, i) => this.index.set(j, i));
  }

  /**
   * Publishes a new snapshot. Joints absent from `joints` keep their previous values; an unknown
   * joint name throws (it is a wiring mistake, and silently dropping it would hide a dead joint).
   */
  write(
    joints: Readonly<Record<string, JointStateInput>>,
    base?: { x_m: number; y_m: number; heading_rad: number },
    stamp_ns = monoNow_ns(),
  ): void {
    const n = this.shared.joints.length;
    for (const name in joints) {
      if (!this.index.has(name)) throw new Error(`unknown joint "${name}"; the loop has ${this.shared.joints.join(', ')}`);
    }
    const d = this.lock.data;
    this.lock.beginWrite();
    d[S_STAMP] = stamp_ns;
    if (base) {
      d[S_BASE_X] = base.x_m;
      d[S_BASE_Y] = base.y_m;
      d[S_BASE_HEADING] = base.heading_rad;
    }
    for (const name in joints) {
      const i = this.index.get(name)!;
      const j = joints[name]!;
      if (j.position_rad !== undefined) d[S_JOINTS + i] = j.position_rad;
      if (j.velocity_radps !== undefined) d[S_JOINTS + n + i] = j.velocity_radps;
    }
    this.lock.endWrite();
  }
}

/** The loop's side of the state: a reused snapshot, refreshed once per tick. */
export class StateReader {
  private readonly lock: SeqlockF64;
  private readonly copy: Float64Array;
  readonly snapshot: StateSnapshot;
  /** Ticks where the writer kept the seqlock busy and the previous snapshot was reused. */
  contended = 0;
  constructor(shared: LoopShared) {
    const n = shared.joints.length;
    this.lock = new SeqlockF64(shared.state);
    this.copy = new Float64Array(this.lock.length).fill(NaN);
    this.snapshot = {
      stamp_ns: NaN,
      base_x_m: NaN,
      base_y_m: NaN,
      base_heading_rad: NaN,
      position_rad: this.copy.subarray(S_JOINTS, S_JOINTS + n),
      velocity_radps: this.copy.subarray(S_JOINTS + n, S_JOINTS + 2 * n),
    };
  }

  read(): StateSnapshot {
    if (this.lock.readInto(this.copy) < 0) this.contended++;
    const s = this.snapshot;
    s.stamp_ns = this.copy[S_STAMP]!;
    s.base_x_m = this.copy[S_BASE_X]!;
    s.base_y_m = this.copy[S_BASE_Y]!;
    s.base_heading_rad = this.copy[S_BASE_HEADING]!;
    return s;
  }
}

export interface SetpointSnapshot {
  /** Sequence word of this snapshot; pass it to next() to wait for a newer one. */
  seq: number;
  tick: number;
  stamp_ns: number;
  /** Id of the newest command the loop had applied when it computed these setpoints (0 = none). */
  command_id: number;
  estop: boolean;
  /** Per joint, in the loop's joint order: rad for position joints, rad/s for velocity joints. */
  value: Float64Array;
  torque_enabled: boolean[];
  /** The envelope replaced this joint's command with its safe default. */
  safe: boolean[];
}

/** The loop's side of the setpoints. */
export class SetpointWriter {
  private readonly lock: SeqlockF64;
  private readonly history: SeqRingF64;
  private readonly n: number;
  constructor(shared: LoopShared) {
    this.lock = new SeqlockF64(shared.setpoints);
    this.history = new SeqRingF64(shared.history);
    this.n = shared.joints.length;
  }

  write(tick: number, stamp_ns: number, command_id: number, estop: boolean, value: Float64Array, torque: Uint8Array, safe: Uint8Array): void {
    const d = this.lock.data;
    const n = this.n;
    this.lock.beginWrite();
    d[P_TICK] = tick;
    d[P_STAMP] = stamp_ns;
    d[P_COMMAND] = command_id;
    d[P_ESTOP] = estop ? 1 : 0;
    for (let i = 0; i < n; i++) {
      d[P_JOINTS + i] = value[i]!;
      d[P_JOINTS + n + i] = torque[i]!;
      d[P_JOINTS + 2 * n + i] = safe[i]!;
    }
    // Into the history before the notify, so a consumer woken by this tick finds every tick up to it there.
    this.history.write(tick, d);
    this.lock.endWrite(); // notifies: the consumer wakes now rather than polling
  }
}

type WaitAsync = (a: Int32Array, i: number, v: number, timeout?: number) => { async: boolean; value: Promise<string> | string };

/** The consumer side (whoever owns the MCU links). Works in any thread that has the LoopShared. */
export class SetpointReader {
  private readonly lock: SeqlockF64;
  private readonly history: SeqRingF64;
  private readonly copy: Float64Array;
  private readonly n: number;
  constructor(readonly shared: LoopShared) {
    this.lock = new SeqlockF64(shared.setpoints);
    this.history = new SeqRingF64(shared.history);
    this.copy = new Float64Array(this.lock.length);
    this.n = shared.joints.length;
  }

  /** The newest setpoints, or null before the loop's first tick (or when the writer kept the lock busy). */
  read(): SetpointSnapshot | null {
    const seq = this.lock.readInto(this.copy);
    // stamp 0 = never written (the sequence word alone cannot say: it wraps after ~12 days at 1 kHz)
    if (seq === -1 || this.copy[P_STAMP] === 0) return null;
    return this.snapshot(seq);
  }

  /**
   * The setpoints of one past tick from the history (seq is -1: it names no version of the newest setpoints), or null
   * when the ring no longer holds it (more than HISTORY_TICKS ago) or does not hold it yet.
   */
  at(tick: number): SetpointSnapshot | null {
    return this.history.readInto(tick, this.copy) === 'ok' ? this.snapshot(-1) : null;
  }

  /**
   * Every tick strictly between two the caller saw (after_tick < tick < before_tick), in order, from the history, and
   * how many of them the history no longer holds: what a consumer that woke late missed.
   */
  between(after_tick: number, before_tick: number): { ticks: SetpointSnapshot[]; lost: number } {
    const ticks: SetpointSnapshot[] = [];
    let lost = 0;
    for (let t = after_tick + 1; t < before_tick; t++) {
      const h = this.at(t);
      if (h) ticks.push(h);
      else lost++;
    }
    return { ticks, lost };
  }

  private snapshot(seq: number): SetpointSnapshot {
    const d = this.copy;
    const n = this.n;
    return {
      seq,
      tick: d[P_TICK]!,
      stamp_ns: d[P_STAMP]!,
      command_id: d[P_COMMAND]!,
      estop: d[P_ESTOP] === 1,
      value: d.slice(P_JOINTS, P_JOINTS + n),
      torque_enabled: Array.from(d.subarray(P_JOINTS + n, P_JOINTS + 2 * n), (v) => v === 1),
      safe: Array.from(d.subarray(P_JOINTS + 2 * n, P_JOINTS + 3 * n), (v) => v === 1),
    };
  }

  /**
   * Resolves with the first setpoints newer than after_seq. Uses Atomics.waitAsync, so the event loop
   * stays free and the wake-up comes from the loop's notify, not a poll. Rejects after timeout_ms.
   */
  async next(after_seq: number, timeout_ms = 1000): Promise<SetpointSnapshot> {
    const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
    const end_ms = performance.now() + timeout_ms;
    for (;;) {
      const cur = this.lock.version();
      if (cur !== after_seq && (cur & 1) === 0) {
        const s = this.read();
        if (s && s.seq !== after_seq) return s;
      }
      const left_ms = end_ms - performance.now();
      if (left_ms <= 0) throw new Error(`no new setpoints within ${timeout_ms} ms: is the loop running?`);
      const w = waitAsync(this.lock.seq, 0, cur, left_ms);
      if (!w.async) continue;
      // A pending waitAsync does not keep Node's event loop alive; this timer does, for as long as we wait.
      const keepAlive = setTimeout(() => undefined, left_ms + 1);
      try {
        await w.value;
      } finally {
        clearTimeout(keepAlive);
      }
    }
  }
}
