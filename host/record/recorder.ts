// The session recorder: one MCAP file per session, episodes marked, samples queued by the caller and written in flushed chunks so a crash loses at most flush_ms.
import { EventEmitter } from 'node:events';
import type { CorrectionLogEntry } from '../skills/correction-log.ts';
import type { RobotGeometry } from '../skills/geometry.ts';
import { CHANNELS, encodeSample, LOG_LEVEL, stamp, type ChannelKey } from './channels.ts';
import { McapFileWriter } from './mcap-file.ts';
import { checkSample, SampleError, type Sample } from './sample.ts';

export const RECORDING_FORMAT = 'ganglion.recording/1';

export interface RecorderOptions {
  file: string;
  /** Joint names, in the order of Sample's arrays. */
  joints: readonly string[];
  /** 'position' (rad) or 'velocity' (rad/s) per joint: what `action` means for each. */
  joint_kinds: readonly ('position' | 'velocity')[];
  task: string;
  /** [Hz] the control rate samples are taken at (nominal; every sample has its own timestamp). */
  fps: number;
  robot: string;
  /** The robot's arm and base geometry (from its robot file): what the export computes goal features with. */
  geometry?: RobotGeometry;
  /** [ms] the open chunk goes to disk at least this often (at most 1000: a crash loses at most this much). */
  flush_ms?: number;
  /** [ms] queued samples are encoded this often (off the caller's tick). */
  drain_ms?: number;
}

export interface RecorderState {
  /** The episode being recorded, or null between episodes. */
  episode: number | null;
  /** Episodes kept so far. */
  kept: number;
  samples: number;
  refused: number;
  bytes: number;
  /** [ms] time the recorder has spent encoding and writing, on the caller's thread (its cost on the control pipeline). */
  busy_ms: number;
}

type RecorderEvents = { refused: [SampleError] };

const enc = new TextEncoder();
const nowNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

export class Recorder extends EventEmitter<RecorderEvents> {
  private readonly w: McapFileWriter;
  private readonly ids = new Map<ChannelKey, number>();
  private queue: Sample[] = [];
  private episode: { index: number; task: string; start_ns: bigint; samples: number; autonomous: boolean } | null = null;
  private nextIndex = 0;
  private kept = 0;
  private samples = 0;
  private refused = 0;
  private readonly drainTimer: NodeJS.Timeout;
  private readonly flushTimer: NodeJS.Timeout;
  private closed = false;
  private busy_ms = 0;
  private readonly namesJson: string;

  constructor(private readonly o: RecorderOptions) {
    super();
    this.namesJson = JSON.stringify(o.joints);
    const flush_ms = o.flush_ms ?? 500;
    if (!(flush_ms > 0 && flush_ms <= 1000)) throw new Error(`flush_ms ${flush_ms}: must be in (0, 1000] so a crash loses at most a second`);
    if (o.joints.length !== o.joint_kinds.length) throw new Error(`joints (${o.joints.length}) and joint_kinds (${o.joint_kinds.length}) differ in length`);
    this.w = new McapFileWriter(o.file);
    this.w.addMetadata('session', {
      format: RECORDING_FORMAT, task: o.task, fps: String(o.fps), robot: o.robot,
      joints: JSON.stringify(o.joints), joint_kinds: JSON.stringify(o.joint_kinds), started_at: new Date().toISOString(),
      ...(o.geometry ? { geometry: JSON.stringify(o.geometry) } : {}),
    });
    for (const [key, c] of Object.entries(CHANNELS) as [ChannelKey, (typeof CHANNELS)[ChannelKey]][]) {
      const schemaId = this.w.addSchema({ name: c.schemaName, encoding: 'jsonschema', data: enc.encode(JSON.stringify(c.schema)) });
      this.ids.set(key, this.w.addChannel({ schemaId, topic: c.topic, messageEncoding: 'json', metadata: new Map() }));
    }
    this.w.flush(true);
    this.drainTimer = setInterval(() => {
      const t0 = performance.now();
      this.drain();
      this.busy_ms += performance.now() - t0;
    }, o.drain_ms ?? 20);
    this.flushTimer = setInterval(() => {
      const t0 = performance.now();
      this.drain();
      this.w.flush();
      this.busy_ms += performance.now() - t0;
    }, flush_ms);
  }

  get file(): string {
    return this.o.file;
  }

  state(): RecorderState {
    return { episode: this.episode?.index ?? null, kept: this.kept, samples: this.samples, refused: this.refused, bytes: Number(this.w.size), busy_ms: this.busy_ms };
  }

  /** Starts the next episode (the same index again after a discard). */
  startEpisode(task = this.o.task): number {
    if (this.episode) throw new Error(`episode ${this.episode.index} is still being recorded; end or discard it first`);
    const t = nowNs();
    this.episode = { index: this.nextIndex, task, start_ns: t, samples: 0, autonomous: false };
    this.write('episode', t, { timestamp: stamp(t), index: this.episode.index, mark: 'start', task });
    return this.episode.index;
  }

  /**
   * Queues a sample (cheap: the caller is a control loop); false when refused (no episode, or a bad number, which
   * is also logged on /events). Samples are encoded by the drain timer.
   */
  add(s: Sample): boolean {
    if (!this.episode || this.closed) return false;
    try {
      checkSample(s, this.o.joints);
    } catch (e) {
      if (!(e instanceof SampleError)) throw e;
      this.refused++;
      this.event('error', `sample refused: ${e.message}`, 'recorder');
      this.emit('refused', e);
      return false;
    }
    this.queue.push(s);
    this.episode.samples++;
    return true;
  }

  event(level: keyof typeof LOG_LEVEL, message: string, name = 'ganglion'): void {
    const t = nowNs();
    this.write('events', t, { timestamp: stamp(t), level: LOG_LEVEL[level], message, name, file: '', line: 0 });
  }

  correction(c: CorrectionLogEntry): void {
    const t = nowNs();
    this.write('correction', t, { timestamp: stamp(t), phrase: c.phrase, source: c.source ?? '', skill: c.skill, correction: c.correction });
  }

  /** Ends the episode and keeps it: its samples and an 'episode' metadata record reach the disk before this returns. */
  endEpisode(): number {
    return this.finish('kept');
  }

  /** Ends the episode as discarded (re-record): it stays in the file, marked, and the next episode reuses its index. */
  discardEpisode(): number {
    return this.finish('discarded');
  }

  private finish(status: 'kept' | 'discarded'): number {
    const ep = this.episode;
    if (!ep) throw new Error('no episode is being recorded');
    this.drain();
    const t = nowNs();
    this.write('episode', t, { timestamp: stamp(t), index: ep.index, mark: status === 'kept' ? 'end' : 'discard', task: ep.task });
    this.w.addMetadata('episode', {
      index: String(ep.index), task: ep.task, status, start_ns: String(ep.start_ns), end_ns: String(t), samples: String(ep.samples),
    });
    this.episode = null;
    if (status === 'kept') {
      this.kept++;
      this.nextIndex++;
    }
    return ep.index;
  }

  /** Encodes the queued samples into the open chunk. */
  private drain(): void {
    const q = this.queue;
    if (!q.length) return;
    this.queue = [];
    for (const s of q) {
      // An intervention: teleop took over in an episode where a skill or policy had been driving.
      if (this.episode && (s.control === 'skill' || s.control === 'policy')) this.episode.autonomous = true;
      const intervention = s.control === 'teleop' && (this.episode?.autonomous ?? false);
      for (const [key, json] of encodeSample(s, this.namesJson, intervention)) this.w.addMessage(this.ids.get(key)!, s.taken_ns, enc.encode(json));
      this.samples++;
    }
  }

  private write(key: ChannelKey, t_ns: bigint, msg: unknown): void {
    this.w.addMessage(this.ids.get(key)!, t_ns, enc.encode(JSON.stringify(msg)));
  }

  /** Ends an open episode as kept, writes the summary and footer, and closes the file. */
  close(): void {
    if (this.closed) return;
    if (this.episode) this.endEpisode();
    this.drain();
    clearInterval(this.drainTimer);
    clearInterval(this.flushTimer);
    this.closed = true;
    this.w.close();
  }
}
