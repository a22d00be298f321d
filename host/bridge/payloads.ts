// Runtime data -> the MQTT payloads of topics.ts (state, telemetry, cadence, link, events, skill status, skills); pure functions, no I/O.
import type { LoopEventMessage, LoopStatsMessage } from '../executor/commands.ts';
import type { LinkStats } from '../link/session.ts';
import type { McuState } from '../link/telemetry.ts';
import { CONSTANTS } from '../protocol/messages.ts';
import type { RobotSnapshot, SkillInfo } from '../runtime/control.ts';
import type { SkillStatus } from '../skills/status.ts';
import type {
  CadencePayload, EventPayload, LinkPayload, SkillsPayload, SkillStatusPayload, StatePayload, TelemetryPayload,
} from './topics.ts';

/** A joint as the bridge needs it: which MCU node carries it and whether its setpoint is a position or a velocity. */
export interface JointRef {
  name: string;
  node: string;
  kind?: 'position' | 'velocity';
}

const fin = (v: number) => Number.isFinite(v);
const orNull = (v: number | null | undefined) => (v !== null && v !== undefined && Number.isFinite(v) ? v : null);
const FAULT_NAMES = Object.entries(CONSTANTS.FAULT).map(([name, bit]) => [name.toLowerCase(), bit] as const);
export const faultNames = (bits: number) => FAULT_NAMES.filter(([, b]) => bits & b).map(([n]) => n);
const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

export function statePayload(s: RobotSnapshot): StatePayload {
  const joints: StatePayload['joints'] = {};
  for (const [k, j] of Object.entries(s.observation.joints)) {
    if (fin(j.position_rad) && fin(j.velocity_radps)) joints[k] = { position_rad: j.position_rad, velocity_radps: j.velocity_radps };
  }
  const base = s.observation.base ?? { x_m: 0, y_m: 0, heading_rad: 0 };
  return {
    robot: s.robot,
    at_ms: s.at_ms,
    mode: s.mode,
    estop: { latched: s.estop.latched, reason: s.estop.reason },
    stalled: s.stalled.slice(0, 64).map((x) => ({ joint: x.joint, reason: x.reason })),
    armed: { ...s.armed },
    base: { x_m: base.x_m, y_m: base.y_m, heading_rad: base.heading_rad },
    joints,
    // A setpoint is NaN while torque is off: it has no value, so it is left out rather than sent as null.
    setpoints: Object.fromEntries(Object.entries(s.setpoints).filter(([, v]) => fin(v))),
    held_id: s.observation.held_id ?? null,
    objects: s.observation.objects.slice(0, 256).map((o) => ({ id: o.id, label: o.label, kind: o.kind, x_m: o.x_m, y_m: o.y_m, size_m: o.size_m })),
    active_skill: s.active_skill
      ? {
          request_id: s.active_skill.request_id, skill: s.active_skill.skill, args: s.active_skill.args,
          elapsed_s: s.active_skill.elapsed_s, progress: orNull(s.active_skill.progress),
        }
      : null,
    task: s.task,
    recent_failures: s.recent_failures.slice(-16).map((f) => ({ skill: f.skill, state: f.state, reason: f.reason })),
  };
}

/** What state changes look like, without the clock: a new signature publishes the state at once. */
export function stateSignature(s: RobotSnapshot): string {
  return JSON.stringify([s.mode, s.estop, s.armed, s.active_skill?.request_id ?? null, s.active_skill?.skill ?? null, s.task,
    s.observation.held_id ?? null, s.recent_failures.length, s.recent_failures.at(-1)?.reason ?? null]);
}

export function telemetryPayload(
  robot: string, node: string, st: McuState, joints: readonly JointRef[], snap: RobotSnapshot, frames: number,
): TelemetryPayload {
  const out: TelemetryPayload['joints'] = {};
  for (const j of joints) {
    if (j.node !== node) continue;
    const m = snap.observation.joints[j.name];
    if (!m || !fin(m.position_rad) || !fin(m.velocity_radps)) continue;
    const sp = orNull(snap.setpoints[j.name]);
    // Tracking error in the setpoint's own unit: rad for position joints, rad/s for velocity joints.
    const measured = j.kind === 'velocity' ? m.velocity_radps : m.position_rad;
    out[j.name] = { position_rad: m.position_rad, velocity_radps: m.velocity_radps, setpoint: sp, error: sp === null ? null : sp - measured };
  }
  return {
    robot, node, at_ms: Date.now(), received_at_ms: performance.timeOrigin + st.receivedAtMs,
    counter: st.counter, mcu_time_us: st.timeUs, joints: out,
    counts: st.counts, vel_cps: st.velCps.map((v) => (fin(v) ? v : 0)), out_permille: st.outPermille, analog: st.analog,
    faults: faultNames(st.faults), frames,
  };
}

export function cadencePayload(robot: string, m: LoopStatsMessage): CadencePayload {
  const c = m.cadence;
  const clamps: Record<string, number> = {};
  for (const [k, v] of Object.entries(m.clamps)) if (v !== undefined) clamps[k] = v;
  const f = (v: number) => (fin(v) ? v : 0);
  return {
    robot, at_ms: Date.now(), target_hz: c.target_hz, achieved_hz: f(c.achieved_hz), ticks: c.ticks, over_budget: c.over_budget,
    missed: c.missed, period_error_p50_us: f(c.period_error_p50_us), period_error_p99_us: f(c.period_error_p99_us),
    period_error_max_us: f(c.period_error_max_us), tick_p50_us: f(c.tick_p50_us), tick_p99_us: f(c.tick_p99_us),
    tick_max_us: f(c.tick_max_us), line: m.line, clamps,
  };
}

export function linkPayload(robot: string, health: Record<string, LinkStats>): LinkPayload {
  const nodes: LinkPayload['nodes'] = {};
  for (const [id, s] of Object.entries(health)) {
    nodes[id] = {
      state: s.state, armed: s.armed, watchdog_tripped: s.watchdogTripped, faults: [...s.faults],
      rtt_ms: orNull(s.rtt.srttMs ?? s.rtt.lastMs),
      // The session keeps a smoothed RTT, not a distribution: no p99 to report.
      rtt_p99_ms: null,
      retransmits: s.retransmits, crc_errors: s.host.crcErrors + s.telemetry.mcuCrcErrors,
      telemetry_lost: s.telemetry.telemetryLost, reconnects: s.reconnects,
      board_kind: s.board_kind ?? 'ganglion', ...(s.warning ? { warning: s.warning } : {}),
    };
  }
  return { robot, at_ms: Date.now(), nodes };
}

export function eventPayload(robot: string, e: { level: EventPayload['level']; kind: string; text: string; topic?: string }): EventPayload {
  return { robot, at_ms: Date.now(), level: e.level, kind: clip(e.kind, 64), text: clip(e.text, 2000), ...(e.topic ? { topic: clip(e.topic, 512) } : {}) };
}

const LOOP_EVENT_LEVEL: Record<LoopEventMessage['kind'], EventPayload['level']> = { estop: 'warn', clear: 'info', stall: 'error', tick_error: 'error' };
export const loopEventPayload = (robot: string, m: LoopEventMessage) =>
  eventPayload(robot, { level: LOOP_EVENT_LEVEL[m.kind] ?? 'warn', kind: m.kind, text: m.joint ? `${m.joint}: ${m.text}` : m.text });

export function skillStatusPayload(robot: string, s: SkillStatus): SkillStatusPayload {
  return {
    robot, at_ms: Date.now(), request_id: s.request_id, skill: s.skill, state: s.state,
    ...(s.reason !== undefined ? { reason: s.reason } : {}), elapsed_s: s.elapsed_s, progress: orNull(s.progress),
  };
}

export function skillsPayload(robot: string, skills: SkillInfo[]): SkillsPayload {
  return {
    robot, at_ms: Date.now(),
    skills: skills.map((s) => ({
      name: s.name, description: s.description, args_schema: s.args_schema,
      affordance: s.affordance && fin(s.affordance.value) ? { value: s.affordance.value, ...(s.affordance.reason ? { reason: s.affordance.reason } : {}) } : null,
    })),
  };
}
