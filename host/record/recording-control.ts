// The operator's remote control of a recording session (dashboard, MQTT cmd/recording): start / stop (keep) / discard an episode, and the status it shows.
import { EventEmitter } from 'node:events';
import type { RecordingControl } from '../bridge/commands.ts';
import type { RecordingPayload } from '../bridge/topics.ts';
import type { EpisodeSchedule } from './episodes.ts';

export class ScheduleControl implements RecordingControl {
  private readonly changes = new EventEmitter<{ change: [] }>();

  constructor(
    private readonly schedule: EpisodeSchedule,
    private readonly o: { episodes: number; task: string; file: string; onDone: () => void; log: (line: string) => void },
  ) {}

  /** The CLI calls this on every transition (time-outs, terminal keys) so the dashboard hears at once. */
  changed(): void {
    this.changes.emit('change');
  }

  onChange(fn: () => void): () => void {
    this.changes.on('change', fn);
    return () => this.changes.off('change', fn);
  }

  status(): Omit<RecordingPayload, 'robot' | 'at_ms'> {
    const p = this.schedule.current;
    const now = performance.now();
    return {
      phase: p.kind,
      episode: p.kind === 'episode' ? p.index : null,
      episodes: this.o.episodes,
      kept: this.schedule.keptEpisodes,
      time_left_s: p.kind === 'done' ? null : Math.max(0, (p.ends_ms - now) / 1000),
      task: this.o.task,
      file: this.o.file,
    };
  }

  command(action: 'start' | 'stop' | 'discard', operator: string): void {
    const p = this.schedule.current;
    if (p.kind === 'done') throw new Error('the recording session is over');
    if (action === 'start' && p.kind !== 'reset') throw new Error(`episode ${p.kind === 'episode' ? p.index + 1 : '?'} is being recorded: stop or discard it first`);
    if (action !== 'start' && p.kind !== 'episode') throw new Error(`no episode is being recorded (the scene is being reset): start one first`);
    this.o.log(`${operator} (dashboard): ${action} episode`);
    const next = this.schedule.key(action === 'discard' ? 'rerecord' : 'next', performance.now());
    this.changed();
    if (next.kind === 'done') this.o.onDone();
  }
}
