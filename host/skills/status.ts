// Skill run status messages: what the runner reports (running, done, failed, timeout, cancelled) and the channel it reports on.
export type SkillRunState = 'running' | 'done' | 'failed' | 'timeout' | 'cancelled';

export interface SkillStatus {
  type: 'skill_status';
  /** Counts runs inside one runner; request_id is the sender's own id for the run, echoed back. */
  run_id: number;
  request_id: string | null;
  skill: string;
  state: SkillRunState;
  /** Why it ended, when it did not end 'done'. */
  reason?: string;
  /** Loop time the run took so far (ticks x period). */
  elapsed_s: number;
  /** How far along, in [0, 1], for skills that can tell (Skill.progress); null otherwise. */
  progress: number | null;
  tick: number;
}

/** Package loading result from the skill tick module (sent once, after its async load). */
export interface SkillPackagesMessage {
  type: 'skill_packages';
  loaded: { file: string; skills: string[] }[];
  errors: { file: string; error: string }[];
}

export type SkillChannelMessage = SkillStatus | SkillPackagesMessage;

/**
 * The executor has no way for a tick module to send messages back (only acks, stats and its own events),
 * so the skill tick posts on a BroadcastChannel of this name, which any thread of the process can read.
 */
export const DEFAULT_STATUS_CHANNEL = 'ganglion.skills.status';

export const isTerminal = (s: SkillRunState) => s !== 'running';
