// The safety envelope: every action passes through applyEnvelope right before it becomes setpoints; nothing bypasses it.
// Over 300 lines on purpose: the checks run in one fixed order (the order is the safety argument), read top to bottom here;
// its configuration (envelope-config.ts) and the drive formula (diff-drive.ts) are already apart.
import type { Action, StateSnapshot } from './contract.ts';
import { parseEnvelopeConfig, type EnvelopeConfig, type EnvelopeConfigInput, type JointLimits } from './envelope-config.ts';
import { forwardSpeed_mps } from './diff-drive.ts';

export type ClampReason =
  | 'estop'
  | 'state_stale'
  | 'no_state'
  | 'no_action'
  | 'unknown_joint'
  | 'unknown_source'
  | 'heartbeat'
  | 'non_finite'
  | 'workspace'
  | 'position_limit'
  | 'max_lead'
  | 'max_step'
  | 'velocity_limit'
  | 'accel_limit'
  | 'stall'
  | 'stall_latched';

export const CLAMP_REASONS: readonly ClampReason[] = [
  'estop', 'state_stale', 'no_state', 'no_action', 'unknown_joint', 'unknown_source', 'heartbeat', 'non_finite',
  'workspace', 'position_limit', 'max_lead', 'max_step', 'velocity_limit', 'accel_limit', 'stall', 'stall_latched',
];

/** One thing the envelope changed. Pooled: copy it (clampList) if you keep it past the next apply. */
export interface Clamp {
  /** The joint; for a whole-action refusal '*', the unknown joint name, or the source id. */
  subject: string;
  reason: ClampReason;
  requested: number;
  applied: number;
}

export interface EnvelopeOutput {
  /** Per joint (config order): rad for position joints, rad/s for velocity joints. Always finite. */
  value: Float64Array;
  /** 0 = torque off for that joint (stall latch, or on_safe 'torque_off' while safe). */
  torque: Uint8Array;
  /** 1 = the joint got its safe default instead of the controller's command. */
  safe: Uint8Array;
  estop: boolean;
  clamps: readonly Clamp[];
  clamp_count: number;
  /** Clamps beyond the pool's size (the list is then incomplete; the outputs are still limited). */
  clamps_dropped: number;
}

/** All of the envelope's state is here, explicit, so applyEnvelope is deterministic given its inputs. */
export interface Envelope {
  readonly config: EnvelopeConfig;
  readonly joints: readonly JointLimits[];
  readonly period_s: number;
  readonly out: EnvelopeOutput;
  estop: boolean;
  estop_reason: string;
  /** Last output and its implied velocity (for step, velocity and acceleration limits). */
  readonly prev: Float64Array;
  readonly prevVel: Float64Array;
  readonly initialized: Uint8Array;
  readonly stallSince_ns: Float64Array;
  readonly stallLatched: Uint8Array;
  /** Why each latched joint stalled, in words, for the operator. */
  readonly stallReason: (string | null)[];
  readonly sourceIndex: ReadonlyMap<string, number>;
  readonly heartbeat_ns: Float64Array;
  readonly jointIndex: ReadonlyMap<string, number>;
  readonly requested: Float64Array;
  readonly pool: Clamp[];
}

export function createEnvelope(config: EnvelopeConfigInput | EnvelopeConfig, rate_hz: number): Envelope {
  const c = parseEnvelopeConfig(config);
  if (!(rate_hz > 0)) throw new Error(`envelope rate_hz must be positive, got ${rate_hz}`);
  const n = c.joints.length;
  const pool: Clamp[] = Array.from({ length: 4 * n + 8 }, () => ({ subject: '', reason: 'estop' as ClampReason, requested: 0, applied: 0 }));
  return {
    config: c,
    joints: c.joints,
    period_s: 1 / rate_hz,
    out: { value: new Float64Array(n), torque: new Uint8Array(n), safe: new Uint8Array(n), estop: false, clamps: pool, clamp_count: 0, clamps_dropped: 0 },
    estop: false,
    estop_reason: '',
    prev: new Float64Array(n),
    prevVel: new Float64Array(n),
    initialized: new Uint8Array(n),
    stallSince_ns: new Float64Array(n).fill(NaN),
    stallLatched: new Uint8Array(n),
    stallReason: new Array<string | null>(n).fill(null),
    sourceIndex: new Map(c.sources.map((s, i) => [s.id, i])),
    heartbeat_ns: new Float64Array(c.sources.length).fill(NaN),
    jointIndex: new Map(c.joints.map((j, i) => [j.name, i])),
    requested: new Float64Array(n),
    pool,
  };
}

/** Latch the e-stop: from now on every output is its safe default until clearLatches(). */
export function latchEstop(env: Envelope, reason: string): void {
  if (!env.estop) env.estop_reason = reason;
  env.estop = true;
}

/** Clear the e-stop and every stall latch. Joints restart from their measured state, so nothing jumps. */
export function clearLatches(env: Envelope): void {
  env.estop = false;
  env.estop_reason = '';
  env.stallLatched.fill(0);
  env.stallSince_ns.fill(NaN);
  env.stallReason.fill(null);
  env.initialized.fill(0);
}

/** Record a remote source's heartbeat. Returns false for a source the config does not know. */
export function recordHeartbeat(env: Envelope, source: string, at_ns: number): boolean {
  const i = env.sourceIndex.get(source);
  if (i === undefined || !Number.isFinite(at_ns)) return false;
  env.heartbeat_ns[i] = Math.max(env.heartbeat_ns[i]! || -Infinity, at_ns);
  return true;
}

export function clampList(out: EnvelopeOutput): Clamp[] {
  return out.clamps.slice(0, out.clamp_count).map((c) => ({ ...c }));
}

function note(env: Envelope, subject: string, reason: ClampReason, requested: number, applied: number): void {
  const o = env.out;
  if (o.clamp_count >= env.pool.length) {
    o.clamps_dropped++;
    return;
  }
  const c = env.pool[o.clamp_count++]!;
  c.subject = subject;
  c.reason = reason;
  c.requested = requested;
  c.applied = applied;
}

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** First use of a joint (or after a clear): start the limits from where the joint actually is. */
function initJoint(env: Envelope, i: number, state: StateSnapshot): void {
  const j = env.joints[i]!;
  if (j.kind === 'position') {
    const pos = state.position_rad[i]!;
    if (!Number.isFinite(pos)) return; // stays uninitialized: safeJoint turns torque off
    env.prev[i] = clamp(pos, j.position_min_rad, j.position_max_rad);
  } else {
    const vel = state.velocity_radps[i]!;
    env.prev[i] = Number.isFinite(vel) ? clamp(vel, -j.velocity_max_radps, j.velocity_max_radps) : 0;
  }
  env.prevVel[i] = 0;
  env.initialized[i] = 1;
}

/**
 * The joint's safe default: a velocity joint stops at once (the MCU ramps its own current), a position
 * joint holds its last target. A position joint whose position was never known cannot hold anything,
 * so its torque goes off.
 */
function safeJoint(env: Envelope, i: number, estop = false): void {
  const j = env.joints[i]!;
  const o = env.out;
  o.safe[i] = 1;
  let torque = (estop && env.config.on_estop === 'torque_off') || j.on_safe === 'torque_off' ? 0 : 1;
  if (j.kind === 'velocity') {
    o.value[i] = 0;
    env.prev[i] = 0;
  } else if (env.initialized[i]) {
    o.value[i] = env.prev[i]!;
  } else {
    o.value[i] = clamp(0, j.position_min_rad, j.position_max_rad);
    torque = 0;
  }
  env.prevVel[i] = 0;
  o.torque[i] = env.stallLatched[i] ? 0 : torque;
}

function refusal(env: Envelope, action: Action | null, state: StateSnapshot, now_ns: number): ClampReason | null {
  const c = env.config;
  if (env.estop) {
    note(env, '*', 'estop', NaN, NaN);
    return 'estop';
  }
  if (c.state_timeout_ms !== undefined && !(now_ns - state.stamp_ns <= c.state_timeout_ms * 1e6)) {
    note(env, '*', 'state_stale', NaN, NaN);
    return 'state_stale';
  }
  if (action === null || typeof action !== 'object') {
    note(env, '*', 'no_action', NaN, NaN);
    return 'no_action';
  }
  // Unknown names refuse the whole action: a typo in one joint name means the controller is not
  // commanding what it thinks it is, so applying the rest would be a guess.
  const pos = action.position_rad;
  for (const name in pos) {
    const i = env.jointIndex.get(name);
    if (i === undefined || env.joints[i]!.kind !== 'position') {
      note(env, name, 'unknown_joint', pos[name]!, NaN);
      return 'unknown_joint';
    }
  }
  const vel = action.velocity_radps;
  for (const name in vel) {
    const i = env.jointIndex.get(name);
    if (i === undefined || env.joints[i]!.kind !== 'velocity') {
      note(env, name, 'unknown_joint', vel[name]!, NaN);
      return 'unknown_joint';
    }
  }
  const src = action.source;
  if (src !== undefined && src !== null) {
    const s = env.sourceIndex.get(src);
    if (s === undefined) {
      note(env, String(src), 'unknown_source', NaN, NaN);
      return 'unknown_source';
    }
    if (!(now_ns - env.heartbeat_ns[s]! <= c.sources[s]!.heartbeat_timeout_ms * 1e6)) {
      note(env, src, 'heartbeat', NaN, NaN);
      return 'heartbeat';
    }
  }
  return null;
}

/** The requested value of joint i (NaN for non-finite), or hold/stop when the action leaves it out. */
function requestedValue(env: Envelope, i: number, action: Action): number {
  const j = env.joints[i]!;
  const table = j.kind === 'position' ? action.position_rad : action.velocity_radps;
  const raw = table && Object.hasOwn(table, j.name) ? table[j.name] : undefined;
  if (raw === undefined) return j.kind === 'position' ? env.prev[i]! : 0;
  if (typeof raw !== 'number' || !Number.isFinite(raw)) {
    note(env, j.name, 'non_finite', typeof raw === 'number' ? raw : NaN, NaN);
    return NaN;
  }
  return raw;
}

/** Refuse base motion that would carry it further out of the workspace; keep the turning part. */
function applyWorkspace(env: Envelope, state: StateSnapshot): void {
  const w = env.config.workspace;
  if (!w) return;
  const li = env.jointIndex.get(w.wheel_left)!;
  const ri = env.jointIndex.get(w.wheel_right)!;
  const req = env.requested;
  const wl = Number.isNaN(req[li]!) ? 0 : req[li]!;
  const wr = Number.isNaN(req[ri]!) ? 0 : req[ri]!;
  const v_mps = forwardSpeed_mps(w.wheel_radius_m, wl, wr);
  if (v_mps === 0) return;
  const x = state.base_x_m;
  const y = state.base_y_m;
  const h = state.base_heading_rad;
  let outward: boolean;
  if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(h)) {
    outward = true; // the pose is unknown, so no translation can be shown to be inside
  } else {
    const nx = x + v_mps * Math.cos(h) * env.period_s;
    const ny = y + v_mps * Math.sin(h) * env.period_s;
    outward = (nx > w.x_max_m && nx > x) || (nx < w.x_min_m && nx < x) || (ny > w.y_max_m && ny > y) || (ny < w.y_min_m && ny < y);
  }
  if (!outward) return;
  const turn = (wl - wr) / 2;
  if (!Number.isNaN(req[li]!)) {
    note(env, w.wheel_left, 'workspace', wl, turn);
    req[li] = turn;
  }
  if (!Number.isNaN(req[ri]!)) {
    note(env, w.wheel_right, 'workspace', wr, -turn);
    req[ri] = -turn;
  }
}

function limitPosition(env: Envelope, i: number, j: Extract<JointLimits, { kind: 'position' }>, target: number, state: StateSnapshot): number {
  const dt = env.period_s;
  const prev = env.prev[i]!;
  const prevV = env.prevVel[i]!;
  let t = clamp(target, j.position_min_rad, j.position_max_rad);
  if (t !== target) note(env, j.name, 'position_limit', target, t);
  const pos = state.position_rad[i]!;
  if (j.max_lead_rad !== undefined && Number.isFinite(pos)) {
    const led = clamp(t, pos - j.max_lead_rad, pos + j.max_lead_rad);
    if (led !== t) note(env, j.name, 'max_lead', t, led);
    t = led;
  }
  let d = t - prev;
  const step = clamp(d, -j.max_step_rad, j.max_step_rad);
  if (step !== d) note(env, j.name, 'max_step', prev + d, prev + step);
  d = step;
  let v = d / dt;
  const vLim = clamp(v, -j.velocity_max_radps, j.velocity_max_radps);
  if (vLim !== v) note(env, j.name, 'velocity_limit', prev + v * dt, prev + vLim * dt);
  v = vLim;
  // Slowing down (same direction, smaller speed) is always allowed; speeding up or reversing is ramped.
  const slowing = prevV >= 0 ? v >= 0 && v <= prevV : v <= 0 && v >= prevV;
  if (!slowing) {
    const dv = j.accel_max_radps2 * dt;
    const vAcc = clamp(v, prevV - dv, prevV + dv);
    if (vAcc !== v) note(env, j.name, 'accel_limit', prev + v * dt, prev + vAcc * dt);
    v = vAcc;
  }
  // prev is inside the limits, so this can only shorten the step toward prev: no other limit breaks.
  const out = clamp(prev + v * dt, j.position_min_rad, j.position_max_rad);
  env.prevVel[i] = (out - prev) / dt;
  env.prev[i] = out;
  return out;
}

function limitVelocity(env: Envelope, i: number, j: Extract<JointLimits, { kind: 'velocity' }>, target: number): number {
  const prev = env.prev[i]!;
  let v = clamp(target, -j.velocity_max_radps, j.velocity_max_radps);
  if (v !== target) note(env, j.name, 'velocity_limit', target, v);
  const s = clamp(v, prev - j.max_step_radps, prev + j.max_step_radps);
  if (s !== v) note(env, j.name, 'max_step', v, s);
  const dv = j.accel_max_radps2 * env.period_s;
  const a = clamp(s, prev - dv, prev + dv);
  if (a !== s) note(env, j.name, 'accel_limit', s, a);
  env.prevVel[i] = (a - prev) / env.period_s;
  env.prev[i] = a;
  return a;
}

/** A large tracking error with no motion for time_ms latches the joint off until clearLatches(). */
function detectStall(env: Envelope, i: number, state: StateSnapshot, now_ns: number): void {
  const j = env.joints[i]!;
  if (!j.stall || env.stallLatched[i] || !env.out.torque[i]) return;
  const vel = state.velocity_radps[i]!;
  const meas = j.kind === 'position' ? state.position_rad[i]! : vel;
  const err = Math.abs(env.out.value[i]! - meas);
  const thr = j.kind === 'position' ? j.stall.tracking_error_rad : j.stall.tracking_error_radps;
  if (!(err > thr && Math.abs(vel) < j.stall.still_radps)) {
    env.stallSince_ns[i] = NaN; // NaN measurements land here too: no evidence of a stall
    return;
  }
  if (Number.isNaN(env.stallSince_ns[i]!)) env.stallSince_ns[i] = now_ns;
  if (now_ns - env.stallSince_ns[i]! < j.stall.time_ms * 1e6) return;
  const unit = j.kind === 'position' ? 'rad' : 'rad/s';
  env.stallLatched[i] = 1;
  env.stallReason[i] =
    `${j.name} stalled: tracking error ${err.toFixed(3)} ${unit} while moving ${Math.abs(vel).toFixed(3)} rad/s ` +
    `for ${j.stall.time_ms} ms; torque is off until the latch is cleared`;
  note(env, j.name, 'stall', env.out.value[i]!, env.out.value[i]!);
  env.out.torque[i] = 0;
  env.out.safe[i] = 1;
}

/**
 * Limits one action against the state at now_ns and returns the setpoints (env.out, reused: read or
 * copy it before the next call). Order: whole-action refusals (e-stop, stale state, unknown joint,
 * unknown or silent source), then per joint: non-finite -> safe default, workspace, position limits,
 * lead, step, velocity, acceleration, and last stall detection on the result.
 */
export function applyEnvelope(env: Envelope, action: Action | null, state: StateSnapshot, now_ns: number): EnvelopeOutput {
  const o = env.out;
  const n = env.joints.length;
  o.clamp_count = 0;
  o.clamps_dropped = 0;
  o.safe.fill(0);
  o.torque.fill(1);
  for (let i = 0; i < n; i++) if (!env.initialized[i]) initJoint(env, i, state);

  const refused = refusal(env, action, state, now_ns);
  o.estop = env.estop;
  if (refused !== null || action === null) {
    for (let i = 0; i < n; i++) safeJoint(env, i, refused === 'estop');
    return o;
  }
  for (let i = 0; i < n; i++) env.requested[i] = requestedValue(env, i, action);
  applyWorkspace(env, state);
  for (let i = 0; i < n; i++) {
    const j = env.joints[i]!;
    const target = env.requested[i]!;
    if (env.stallLatched[i]) {
      note(env, j.name, 'stall_latched', target, env.prev[i]!);
      safeJoint(env, i);
      o.torque[i] = 0;
      continue;
    }
    if (Number.isNaN(target)) {
      safeJoint(env, i);
      continue;
    }
    if (!env.initialized[i]) {
      note(env, j.name, 'no_state', target, NaN); // position never measured: cannot limit lead or hold
      safeJoint(env, i);
      continue;
    }
    o.value[i] = j.kind === 'position' ? limitPosition(env, i, j, target, state) : limitVelocity(env, i, j, target);
    detectStall(env, i, state, now_ns);
  }
  return o;
}
