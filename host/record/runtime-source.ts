// Samples from a running robot: the runtime's per-tick tap (setpoints out + what it observed) -> recorder Samples, events and corrections.
import type { RobotRuntime } from '../runtime/runtime.ts';
import type { CorrectionLogEntry } from '../skills/correction-log.ts';
import type { Recorder } from './recorder.ts';
import type { ControlSource, Sample } from './sample.ts';

/** The part of a runtime tick the recorder reads (the runtime's tap sample has this shape). */
export interface TickSample {
  /** [ms] performance.now() when the tick's setpoints went out. */
  t_ms: number;
  observation: { base: Sample['base']; joints: Record<string, { position_rad: number; velocity_radps: number }>; objects: Sample['objects']; held_id: string | null };
  action: { setpoint: Record<string, number> };
  teleop: Sample['teleop'];
  skill: { name: string; args: unknown } | null;
  control: ControlSource;
}

const wallNs = (t_ms: number): bigint => BigInt(Math.round((performance.timeOrigin + t_ms) * 1e6));

/** A recorder Sample in the recording's joint order; a joint the tick lacks becomes NaN, which the recorder refuses naming it. */
export function toSample(t: TickSample, joints: readonly string[]): Sample {
  return {
    taken_ns: wallNs(t.t_ms),
    position_rad: joints.map((j) => t.observation.joints[j]?.position_rad ?? NaN),
    velocity_radps: joints.map((j) => t.observation.joints[j]?.velocity_radps ?? NaN),
    base: t.observation.base,
    objects: t.observation.objects,
    held_id: t.observation.held_id,
    action: joints.map((j) => t.action.setpoint[j] ?? NaN),
    teleop: t.teleop,
    skill: t.skill,
    control: t.control,
  };
}

/**
 * Feeds `rec` from `rt` until the returned function is called: one sample per control tick (taken from the setpoints
 * the envelope let through and the observation at that moment), corrections, and loop events and notices as Log entries.
 */
export function recordRuntime(rt: RobotRuntime, rec: Recorder, joints: readonly string[]): () => void {
  const onSetpoints = (value: Float64Array) => {
    const snap = rt.snapshot();
    const setpoint: Record<string, number> = {};
    rt.joints.forEach((j, i) => (setpoint[j.name] = value[i]!));
    const a = snap.active_skill;
    const control: ControlSource = snap.mode === 'estop' ? 'estop' : snap.mode === 'teleop' ? 'teleop' : a ? 'skill' : 'idle';
    rec.add(toSample({ t_ms: performance.now(), observation: snap.observation, action: { setpoint }, teleop: null, skill: a ? { name: a.skill, args: a.args } : null, control }, joints));
  };
  const onCorrection = (c: CorrectionLogEntry) => rec.correction(c);
  const onLoopEvent = (m: { kind: string; text: string }) => rec.event(m.kind === 'estop' || m.kind === 'stall' ? 'warn' : 'info', `${m.kind}: ${m.text}`, 'executor');
  const onNotice = (n: { level: 'info' | 'warn' | 'error'; source: string; text: string }) => rec.event(n.level, n.text, n.source);
  rt.on('setpoints', onSetpoints);
  rt.on('correction', onCorrection);
  rt.on('loop_event', onLoopEvent);
  rt.on('notice', onNotice);
  return () => {
    rt.off('setpoints', onSetpoints);
    rt.off('correction', onCorrection);
    rt.off('loop_event', onLoopEvent);
    rt.off('notice', onNotice);
  };
}
