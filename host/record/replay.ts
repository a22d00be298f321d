// Replay of a recorded episode: its actions re-sent through the safety envelope (as teleop commands) at their recorded times, and the tracking error against the recorded observation.
import type { RobotRuntime } from '../runtime/runtime.ts';
import type { EpisodeRecord, SessionInfo } from './reader.ts';

export interface Track {
  /** [ms] from the replay's start. */
  t_ms: number;
  position_rad: number[];
  velocity_radps: number[];
}

export interface JointError {
  joint: string;
  kind: 'position' | 'velocity';
  /** rad for position joints, rad/s for velocity joints. */
  rms: number;
  max: number;
}

/**
 * Per joint, the recorded observation against the replayed one at the same time from the start (the replayed
 * sample nearest in time): position joints by position [rad], velocity joints by velocity [rad/s].
 */
export function trackingError(session: SessionInfo, ep: EpisodeRecord, replayed: readonly Track[]): JointError[] {
  if (!replayed.length) throw new Error('no replayed samples to compare: the robot sent no ticks during the replay');
  const t0 = ep.frames[0]!.t_ns;
  let j = 0;
  const sq = session.joints.map(() => 0);
  const max = session.joints.map(() => 0);
  for (const f of ep.frames) {
    const t = Number(f.t_ns - t0) / 1e6;
    while (j + 1 < replayed.length && Math.abs(replayed[j + 1]!.t_ms - t) <= Math.abs(replayed[j]!.t_ms - t)) j++;
    const r = replayed[j]!;
    session.joints.forEach((_, i) => {
      const e = session.joint_kinds[i] === 'position' ? r.position_rad[i]! - f.position_rad[i]! : r.velocity_radps[i]! - f.velocity_radps[i]!;
      sq[i]! += e * e;
      max[i] = Math.max(max[i]!, Math.abs(e));
    });
  }
  return session.joints.map((joint, i) => ({ joint, kind: session.joint_kinds[i]!, rms: Math.sqrt(sq[i]! / ep.frames.length), max: max[i]! }));
}

/** A frame's action as a teleop command: setpoints for position joints, speeds for velocity joints (the envelope bounds both). */
function command(session: SessionInfo, action: readonly number[]): { position_rad: Record<string, number>; velocity_radps: Record<string, number>; operator: string } {
  const position_rad: Record<string, number> = {};
  const velocity_radps: Record<string, number> = {};
  session.joints.forEach((j, i) => ((session.joint_kinds[i] === 'position' ? position_rad : velocity_radps)[j] = action[i]!));
  return { position_rad, velocity_radps, operator: 'replay' };
}

export interface ReplayOptions {
  /** [s] time to move to the episode's first action before the timed replay (default 2). */
  settle_s?: number;
}

/** Re-executes the episode on `rt` (armed) and returns what the robot did, sample by sample, with the tracking error. */
export async function replayEpisode(rt: RobotRuntime, session: SessionInfo, ep: EpisodeRecord, o: ReplayOptions = {}): Promise<{ track: Track[]; errors: JointError[]; sent: number }> {
  const first = ep.frames[0];
  if (!first) throw new Error(`episode ${ep.index} has no frames to replay`);
  const names = rt.joints.map((j) => j.name);
  const missing = session.joints.filter((j) => !names.includes(j));
  if (missing.length) throw new Error(`the recording's joints ${missing.join(', ')} are not on this robot (it has ${names.join(', ')})`);
  // Hold the first action so the robot starts where the recording did; the heartbeat goes with every command.
  const settleEnd = performance.now() + (o.settle_s ?? 2) * 1000;
  const settleCmd = command(session, first.action);
  for (const k of Object.keys(settleCmd.velocity_radps)) settleCmd.velocity_radps[k] = 0;
  while (performance.now() < settleEnd) {
    await rt.teleop(settleCmd);
    await new Promise((r) => setTimeout(r, 20));
  }
  const track: Track[] = [];
  const start = performance.now();
  const stop = rt.onSample((s) => {
    track.push({
      t_ms: s.t_ms - start,
      position_rad: session.joints.map((j) => s.observation.joints[j]?.position_rad ?? NaN),
      velocity_radps: session.joints.map((j) => s.observation.joints[j]?.velocity_radps ?? NaN),
    });
  });
  const t0 = first.t_ns;
  let sent = 0;
  try {
    for (const f of ep.frames) {
      const due = start + Number(f.t_ns - t0) / 1e6;
      const wait = due - performance.now();
      // Late frames go out at once (in order): the replay keeps the recording's timeline, never its own drift.
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      await rt.teleop(command(session, f.action));
      sent++;
    }
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    stop();
    await rt.releaseTeleop();
  }
  return { track, errors: trackingError(session, ep, track), sent };
}
