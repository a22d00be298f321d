// The recording tap: one sample per control tick for whoever listens (recorder, dataset export), built only while someone listens.
//
// A sample holds what LeRobot records per frame and what an intervention dataset needs besides:
//   observation  joint position/velocity by name, base pose, perceived objects, what is held
//   action       what the safety envelope let through this tick (setpoint and torque flag by joint)
//   teleop       the raw teleop command last given (before the envelope), or null when teleop does not drive
//   skill        the active skill with its args, or null
//   control      who drives: 'estop' | 'teleop' | 'policy' (a learned skill) | 'skill' | 'idle'
//   events       what happened since the previous sample: loop events (e-stop, clear, stall), skill statuses, corrections
// Listening costs one sample object a tick; nobody listening costs one length check (`active`).
import type { LoopEventMessage } from '../executor/commands.ts';
import type { Pose2 } from '../skills/arm.ts';
import type { CorrectionLogEntry } from '../skills/correction-log.ts';
import type { Observation } from '../skills/observation.ts';
import type { SkillStatus } from '../skills/status.ts';
import type { RobotSnapshot, TeleopCommand } from './control.ts';

export type Controller = 'estop' | 'teleop' | 'policy' | 'skill' | 'idle';

export type TapEvent =
  | { kind: 'loop_event'; event: LoopEventMessage }
  | { kind: 'skill_status'; status: SkillStatus }
  | { kind: 'correction'; entry: CorrectionLogEntry };

export interface RuntimeSample {
  /** [ms] on the performance.now() clock: when the loop computed this tick's setpoints. */
  t_ms: number;
  /** The loop's tick index: consecutive, also for ticks the pump missed (they come from the loop's history). */
  tick: number;
  observation: { base: Pose2; joints: Observation['joints']; objects: Observation['objects']; held_id: string | null };
  action: { setpoint: Record<string, number>; torque_enabled: Record<string, boolean> };
  teleop: TeleopCommand | null;
  skill: { name: string; args: unknown; request_id: string | null } | null;
  control: Controller;
  events: TapEvent[];
}

/** A sample from what the runtime has at hand after sending one tick (pure). */
export function tapSample(o: {
  t_ms: number;
  tick: number;
  names: readonly string[];
  value: Float64Array;
  torque: readonly boolean[];
  obs: Observation;
  teleop: TeleopCommand | null;
  active: RobotSnapshot['active_skill'];
  control: Controller;
}): Omit<RuntimeSample, 'events'> {
  const { obs, active: a } = o;
  return {
    t_ms: o.t_ms,
    tick: o.tick,
    observation: { base: obs.base, joints: obs.joints, objects: obs.objects, held_id: obs.held_id },
    action: {
      setpoint: Object.fromEntries(o.names.map((n, i) => [n, o.value[i]!])),
      torque_enabled: Object.fromEntries(o.names.map((n, i) => [n, o.torque[i] ?? false])),
    },
    teleop: o.teleop,
    skill: a ? { name: a.skill, args: a.args, request_id: a.request_id } : null,
    control: o.control,
  };
}

export type SampleListener = (s: RuntimeSample) => void;

export class RecordingTap {
  private readonly listeners: SampleListener[] = [];
  private pending: TapEvent[] = [];

  /** True while someone listens: the runtime builds samples (and keeps events) only then. */
  get active(): boolean {
    return this.listeners.length > 0;
  }

  /** Listen; returns the function that stops listening. */
  listen(fn: SampleListener): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
      if (!this.active) this.pending = [];
    };
  }

  /** An event for the next sample (dropped when nobody listens). */
  event(e: TapEvent): void {
    if (this.active) this.pending.push(e);
  }

  /** Hands one sample (with the events gathered since the last) to every listener; a listener that throws is reported, never the loop's end. */
  emit(sample: Omit<RuntimeSample, 'events'>, onError: (e: Error) => void): void {
    const s: RuntimeSample = { ...sample, events: this.pending };
    this.pending = [];
    for (const fn of this.listeners) {
      try {
        fn(s);
      } catch (e) {
        // A recorder's bug must not stop the setpoints.
        onError(e as Error);
      }
    }
  }
}
