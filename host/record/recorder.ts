// The session recorder: one MCAP file per session, episodes marked; samples are checked on the caller's tick and encoded and written by a writer thread, flushed so a crash loses at most a second.
import { EventEmitter } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { CorrectionLogEntry } from '../skills/correction-log.ts';
import { tsWorker } from '../util/ts-worker.ts';
import { LOG_LEVEL, stamp, type ChannelKey } from './channels.ts';
import { checkSample, SampleError, type Sample } from './sample.ts';
import type { SessionFacts, WriterOp } from './session-writer.ts';
import type { WriterWorkerData } from './writer-worker.ts';
import { CTL_DONE, CTL_FAILED, CTL_SLOTS, ERROR_BYTES, STAT_BUSY_MS, STAT_BYTES, STAT_SAMPLES, STAT_SLOTS, type WriterBatch } from './writer-shared.ts';

export interface RecorderOptions extends SessionFacts {
  /** The session's MCAP file (created; an existing file is refused). */
  file: string;
  /** [ms] the writer puts the open chunk on disk at least this often. */
  flush_ms?: number;
  /** [ms] queued samples go to the writer thread this often. A crash loses at most drain_ms + flush_ms (<= 1000). */
  drain_ms?: number;
  /** [ms] how long endEpisode() and close() wait for the writer to confirm (it boots in the first call's time). */
  confirm_timeout_ms?: number;
}

export interface RecorderState {
  /** The episode being recorded, or null between episodes. */
  episode: number | null;
  /** Episodes kept so far. */
  kept: number;
  /** Samples written (encoded by the writer thread). */
  samples: number;
  refused: number;
  bytes: number;
  /** [ms] time the recorder has spent on the caller's thread per sample and hand-over: its cost on the control pipeline. */
  busy_ms: number;
  /** [ms] time endEpisode() and close() blocked the caller until the writer confirmed (between episodes, not per tick). */
  wait_ms: number;
  /** [ms] time the writer thread has spent encoding and writing. */
  writer_ms: number;
}

type RecorderEvents = { refused: [SampleError] };

const nowNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));

export class Recorder extends EventEmitter<RecorderEvents> {
  private readonly worker: Worker;
  private readonly ctl = new Int32Array(new SharedArrayBuffer(CTL_SLOTS * 4));
  private readonly stats = new Float64Array(new SharedArrayBuffer(STAT_SLOTS * 8));
  private readonly error = new SharedArrayBuffer(ERROR_BYTES);
  /** Ops not yet posted, in order; consecutive samples share one 'samples' op. */
  private ops: WriterOp[] = [];
  private ticket = 0;
  private episode: { index: number; task: string; start_ns: bigint; samples: number } | null = null;
  private nextIndex = 0;
  private kept = 0;
  private refused = 0;
  private readonly drainTimer: NodeJS.Timeout;
  private readonly confirm_timeout_ms: number;
  private closed = false;
  private busy_ms = 0;
  private wait_ms = 0;
  private readonly fd: number;

  constructor(private readonly o: RecorderOptions) {
    super();
    const flush_ms = o.flush_ms ?? 500;
    const drain_ms = o.drain_ms ?? 20;
    if (!(flush_ms > 0 && drain_ms > 0 && flush_ms + drain_ms <= 1000)) throw new Error(`flush_ms ${flush_ms} + drain_ms ${drain_ms}: each must be positive and together at most 1000 so a crash loses at most a second`);
    if (o.joints.length !== o.joint_kinds.length) throw new Error(`joints (${o.joints.length}) and joint_kinds (${o.joint_kinds.length}) differ in length`);
    this.confirm_timeout_ms = o.confirm_timeout_ms ?? 30_000;
    // Opened here, 'wx': a recording that exists is never overwritten, and that error is the caller's, at once.
    const fd = openSync(o.file, 'wx');
    this.fd = fd;
    const data: WriterWorkerData = {
      fd, flush_ms, ctl: this.ctl.buffer as SharedArrayBuffer, stats: this.stats.buffer as SharedArrayBuffer, error: this.error, started_at: new Date().toISOString(),
      facts: { joints: o.joints, joint_kinds: o.joint_kinds, task: o.task, fps: o.fps, robot: o.robot, ...(o.geometry ? { geometry: o.geometry } : {}) },
    };
    try {
      this.worker = tsWorker(new URL('./writer-worker.ts', import.meta.url), { workerData: data });
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    // The writer never keeps the process alive on its own; close() is what finishes the file.
    this.worker.unref();
    this.worker.on('error', (e) => this.failWith(`the recording's writer thread failed: ${e.message}`));
    this.drainTimer = setInterval(() => this.timed(() => this.post()), drain_ms);
  }

  get file(): string {
    return this.o.file;
  }

  state(): RecorderState {
    return {
      episode: this.episode?.index ?? null, kept: this.kept, samples: this.stats[STAT_SAMPLES]!, refused: this.refused,
      bytes: this.stats[STAT_BYTES]!, busy_ms: this.busy_ms, wait_ms: this.wait_ms, writer_ms: this.stats[STAT_BUSY_MS]!,
    };
  }

  /** Starts the next episode (the same index again after a discard). */
  startEpisode(task = this.o.task): number {
    if (this.episode) throw new Error(`episode ${this.episode.index} is still being recorded; end or discard it first`);
    const t = nowNs();
    this.episode = { index: this.nextIndex, task, start_ns: t, samples: 0 };
    this.ops.push({ op: 'episode' });
    this.write('episode', t, { timestamp: stamp(t), index: this.episode.index, mark: 'start', task });
    return this.episode.index;
  }

  /**
   * Queues a sample (cheap: the caller is a control loop); false when refused (no episode, or a bad number, which
   * is also logged on /events). The writer thread encodes it.
   */
  add(s: Sample): boolean {
    if (!this.episode || this.closed) return false;
    const t0 = performance.now();
    try {
      checkSample(s, this.o.joints);
    } catch (e) {
      if (!(e instanceof SampleError)) throw e;
      this.refused++;
      this.event('error', `sample refused: ${e.message}`, 'recorder');
      this.emit('refused', e);
      return false;
    }
    const last = this.ops[this.ops.length - 1];
    if (last?.op === 'samples') last.batch.push(s);
    else this.ops.push({ op: 'samples', batch: [s] });
    this.episode.samples++;
    this.busy_ms += performance.now() - t0;
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

  /** Ends the episode and keeps it: its samples and an 'episode' metadata record are on disk when this returns. */
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
    const t = nowNs();
    this.write('episode', t, { timestamp: stamp(t), index: ep.index, mark: status === 'kept' ? 'end' : 'discard', task: ep.task });
    this.ops.push({ op: 'metadata', name: 'episode', record: { index: String(ep.index), task: ep.task, status, start_ns: String(ep.start_ns), end_ns: String(t), samples: String(ep.samples) } });
    this.episode = null;
    if (status === 'kept') {
      this.kept++;
      this.nextIndex++;
    }
    this.confirm();
    return ep.index;
  }

  private write(key: ChannelKey, t_ns: bigint, msg: unknown): void {
    this.ops.push({ op: 'message', key, t_ns, json: JSON.stringify(msg) });
  }

  /** Hands the queued ops to the writer; with a ticket, the writer acknowledges them once applied. */
  private post(ticket?: number): void {
    if (!this.ops.length && ticket === undefined) return;
    const batch: WriterBatch = { ops: this.ops, ...(ticket === undefined ? {} : { ticket }) };
    this.ops = [];
    this.worker.postMessage(batch);
  }

  /** Posts what is queued and blocks until the writer has applied it (episode ends and close: their data is on disk after). */
  private confirm(): void {
    const t0 = performance.now();
    try {
      this.waitFor(++this.ticket);
    } finally {
      this.wait_ms += performance.now() - t0;
    }
  }

  private waitFor(ticket: number): void {
    this.throwIfFailed();
    this.post(ticket);
    const until = performance.now() + this.confirm_timeout_ms;
    while (Atomics.load(this.ctl, CTL_DONE) < ticket) {
      this.throwIfFailed();
      const left = until - performance.now();
      if (left <= 0) throw new Error(`${this.o.file}: the recording's writer thread did not confirm within ${this.confirm_timeout_ms} ms (episodes ended before are on disk)`);
      Atomics.wait(this.ctl, CTL_DONE, Atomics.load(this.ctl, CTL_DONE), Math.min(left, 100));
    }
    this.throwIfFailed();
  }

  private failWith(message: string): void {
    if (Atomics.load(this.ctl, CTL_FAILED)) return;
    const text = new TextEncoder().encode(message).subarray(0, ERROR_BYTES);
    new Uint8Array(this.error).set(text);
    Atomics.store(this.ctl, CTL_FAILED, text.length || 1);
  }

  private throwIfFailed(): void {
    const n = Atomics.load(this.ctl, CTL_FAILED);
    if (n) throw new Error(`${this.o.file}: ${new TextDecoder().decode(new Uint8Array(this.error).slice(0, n))}`);
  }

  private timed(f: () => void): void {
    const t0 = performance.now();
    try {
      f();
    } finally {
      this.busy_ms += performance.now() - t0;
    }
  }

  /** Ends an open episode as kept, writes the summary and footer, and closes the file. */
  close(): void {
    if (this.closed) return;
    try {
      if (this.episode) this.endEpisode();
      this.ops.push({ op: 'close' });
      this.confirm();
    } finally {
      this.closed = true;
      clearInterval(this.drainTimer);
      // Ours to close: the writer thread used it, but this thread opened it.
      closeSync(this.fd);
    }
  }
}
