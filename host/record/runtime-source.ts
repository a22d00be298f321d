// Samples from a running robot: the runtime's recording tap (one sample per control tick) -> recorder Samples, events and corrections.
import type { RuntimeSample, TapEvent } from '../runtime/recording-tap.ts';
import type { RobotRuntime } from '../runtime/runtime.ts';
import type { Recorder } from './recorder.ts';
import type { Sample } from './sample.ts';

const wallNs = (t_ms: number): bigint => BigInt(Math.round((performance.timeOrigin + t_ms) * 1e6));

/** A recorder Sample in the recording's joint order; a joint the tick lacks becomes NaN, which the recorder refuses naming it. */
export function toSample(t: RuntimeSample, joints: readonly string[]): Sample {
  const o = t.observation;
  return {
    taken_ns: wallNs(t.t_ms),
    position_rad: joints.map((j) => o.joints[j]?.position_rad ?? NaN),
    velocity_radps: joints.map((j) => o.joints[j]?.velocity_radps ?? NaN),
    base: o.base,
    objects: o.objects,
    held_id: o.held_id,
    action: joints.map((j) => t.action.setpoint[j] ?? NaN),
    teleop: t.teleop
      ? { operator: t.teleop.operator, ...(t.teleop.position_rad ? { position_rad: t.teleop.position_rad } : {}), ...(t.teleop.velocity_radps ? { velocity_radps: t.teleop.velocity_radps } : {}) }
      : null,
    skill: t.skill ? { name: t.skill.name, args: t.skill.args } : null,
    control: t.control,
  };
}

/** The tap's events of a tick -> the recording's corrections channel and foxglove.Log events. */
export function recordEvents(rec: Recorder, events: readonly TapEvent[]): void {
  for (const e of events) {
    if (e.kind === 'correction') rec.correction(e.entry);
    else if (e.kind === 'loop_event') rec.event(e.event.kind === 'estop' || e.event.kind === 'stall' ? 'warn' : 'info', `${e.event.kind}: ${e.event.text}`, 'executor');
    else rec.event(e.status.state === 'failed' ? 'warn' : 'info', `${e.status.skill}: ${e.status.state}${e.status.reason ? ` (${e.status.reason})` : ''}`, 'skill');
  }
}

/**
 * Feeds `rec` from `rt`'s recording tap until the returned function is called; `onTick` sees every tick (for rate
 * display), `goal` gives the episode's goal stamped on each sample (a demonstrator's reach point), if any.
 */
export function recordRuntime(rt: RobotRuntime, rec: Recorder, joints: readonly string[], onTick: (t_ms: number) => void = () => {}, goal: () => Sample['goal'] = () => null): () => void {
  const onNotice = (n: { level: 'info' | 'warn' | 'error'; source: string; text: string }) => rec.event(n.level, n.text, n.source);
  rt.on('notice', onNotice);
  const stop = rt.onSample((s) => {
    onTick(s.t_ms);
    if (s.events.length) recordEvents(rec, s.events);
    const g = goal();
    rec.add(g ? { ...toSample(s, joints), goal: g } : toSample(s, joints));
  });
  return () => {
    stop();
    rt.off('notice', onNotice);
  };
}
