// The episode schedule of `ganglion record`, as LeRobot's record loop: episode, reset, next; keys end early, re-record or stop. Pure: time and actions come in from outside.
export type RecordKey = 'next' | 'rerecord' | 'stop';

export interface EpisodePlan {
  episodes: number;
  /** [s] length of an episode unless ended early. */
  episode_s: number;
  /** [s] time to reset the scene between episodes (nothing is recorded). */
  reset_s: number;
}

export type Phase =
  | { kind: 'episode'; index: number; started_ms: number; ends_ms: number }
  | { kind: 'reset'; ends_ms: number; rerecord: boolean }
  | { kind: 'done' };

/** What the recorder must do on a transition. */
export interface EpisodeActions {
  start(index: number): void;
  keep(index: number): void;
  discard(index: number): void;
}

export class EpisodeSchedule {
  private phase: Phase = { kind: 'done' };
  private kept = 0;

  constructor(private readonly plan: EpisodePlan, private readonly act: EpisodeActions) {
    for (const [k, v] of [['episodes', plan.episodes], ['episode_s', plan.episode_s]] as const) {
      if (!(v > 0) || !Number.isFinite(v)) throw new Error(`${k} must be a positive number (got ${v})`);
    }
    if (!(plan.reset_s >= 0)) throw new Error(`reset_s must be zero or more (got ${plan.reset_s})`);
  }

  get current(): Phase {
    return this.phase;
  }

  get keptEpisodes(): number {
    return this.kept;
  }

  begin(now_ms: number): Phase {
    return this.startEpisode(now_ms);
  }

  /** Advances on time: an episode runs out (kept) into a reset, a reset runs out into the next episode. */
  tick(now_ms: number): Phase {
    const p = this.phase;
    if (p.kind === 'episode' && now_ms >= p.ends_ms) return this.endEpisode(now_ms, false);
    if (p.kind === 'reset' && now_ms >= p.ends_ms) return this.startEpisode(now_ms);
    return p;
  }

  /**
   * next: end the episode now and keep it (or end the reset now); rerecord: drop the episode, reset, and record the
   * same index again; stop: keep the episode being recorded and finish.
   */
  key(k: RecordKey, now_ms: number): Phase {
    const p = this.phase;
    if (p.kind === 'done') return p;
    if (k === 'stop') {
      if (p.kind === 'episode') this.keep(p.index);
      return (this.phase = { kind: 'done' });
    }
    if (p.kind === 'episode') return this.endEpisode(now_ms, k === 'rerecord');
    if (k === 'next') return this.startEpisode(now_ms);
    // rerecord during a reset does nothing: as LeRobot's left arrow, it acts on the episode being recorded.
    return p;
  }

  private keep(index: number): void {
    this.act.keep(index);
    this.kept++;
  }

  private endEpisode(now_ms: number, rerecord: boolean): Phase {
    const p = this.phase as Extract<Phase, { kind: 'episode' }>;
    if (rerecord) this.act.discard(p.index);
    else this.keep(p.index);
    if (!rerecord && this.kept >= this.plan.episodes) return (this.phase = { kind: 'done' });
    // As LeRobot: no reset after the last episode; a reset before a re-record, so the scene can be put back.
    return (this.phase = this.plan.reset_s > 0 ? { kind: 'reset', ends_ms: now_ms + this.plan.reset_s * 1000, rerecord } : this.startPhase(now_ms));
  }

  private startEpisode(now_ms: number): Phase {
    return (this.phase = this.startPhase(now_ms));
  }

  private startPhase(now_ms: number): Phase {
    this.act.start(this.kept);
    return { kind: 'episode', index: this.kept, started_ms: now_ms, ends_ms: now_ms + this.plan.episode_s * 1000 };
  }
}
