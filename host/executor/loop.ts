// Starts the real-time loop in a worker thread and gives the caller its command, stats and event channels.
import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { CadenceSnapshot } from './cadence.ts';
import { parseCommand, type AppliedMessage, type Command, type LoopEventMessage, type LoopStatsMessage, type WorkerMessage } from './commands.ts';
import { parseEnvelopeConfig, type EnvelopeConfigInput } from './envelope-config.ts';
import type { LoopWorkerData } from './loop-worker.ts';
import { CONTROL_STOP, type LoopShared } from './shared.ts';
import { describeRealtime, type RealtimeStatus } from './realtime.ts';
import { isolateLoop, releaseLoop, type IsolationStatus } from './isolation.ts';
import { pinLoop, unpinLoop, type AffinityStatus } from './affinity.ts';
import { monoNow_ns } from '../util/mono-clock.ts';
import { tsWorker } from '../util/ts-worker.ts';

const LoopOptionsSchema = z.strictObject({
  rate_hz: z.number().min(1).max(1000).default(500),
  /** Module exporting createTick(init) (see contract.ts); a file URL or path. */
  tickModule: z.union([z.string().min(1), z.instanceof(URL)]),
  shared: z.custom<LoopShared>((s) => typeof s === 'object' && s !== null && 'state' in s && 'setpoints' in s && 'history' in s, 'createLoopShared(joints) result'),
  envelope: z.unknown(),
  tick_options: z.unknown().optional(),
  /** [us] spin before each deadline; with adaptive_spin it is the starting value. */
  spin_margin_us: z.number().min(0).max(5000).default(200),
  adaptive_spin: z.boolean().default(true),
  /**
   * SCHED_FIFO priority (1..98) for the loop thread, so other work on the machine cannot preempt it; null keeps the
   * default scheduling. Needs root or an rtprio limit. A refusal is reported in `loop.realtime` (and fails startLoop
   * with rt_required).
   */
  rt_priority: z.number().int().min(1).max(98).nullable().default(null),
  rt_required: z.boolean().default(false),
  /**
   * Without real-time priority: a short EEVDF slice for the loop thread and SCHED_BATCH for the main thread it wakes, no
   * spin (a spinning thread is charged for it and loses its place). Unprivileged; see isolation.ts and docs/executor.md.
   * Keeps the period on a machine whose cores are busy; on an idle one the spin's precision is given up. Ignored with
   * rt_priority.
   */
  isolation: z.boolean().default(false),
  /**
   * A CPU of its own for the loop thread within this process: the loop pinned to it, every other thread of the process
   * (and those started later) to the other CPUs, so the process's own work (MQTT, planner replies, GC) never lands on
   * the loop's CPU. 'auto' takes the highest CPU; null leaves affinity alone. Unprivileged; needs two CPUs. Other
   * processes are not moved. See affinity.ts and docs/executor.md.
   */
  cpu: z.union([z.literal('auto'), z.number().int().min(0).max(4095)]).nullable().default(null),
  stats_every_s: z.number().positive().default(1),
  /** The rolling window of the cadence statistics. */
  cadence_window_s: z.number().positive().default(5),
});
export type LoopOptions = z.input<typeof LoopOptionsSchema> & { envelope: EnvelopeConfigInput };

interface LoopEvents {
  stats: [LoopStatsMessage];
  event: [LoopEventMessage];
  applied: [AppliedMessage];
  /** The worker ended: after stop(), or with the error that killed it. */
  exit: [Error | null];
}

export class Loop extends EventEmitter<LoopEvents> {
  private nextId = 1;
  private readonly waiting = new Map<number, (a: AppliedMessage) => void>();
  private stopped: Promise<CadenceSnapshot | null>;
  private finalCadence: CadenceSnapshot | null = null;
  /** How the loop thread is scheduled (set once it is ready). */
  realtime: RealtimeStatus | null = null;
  /** What isolation got, when asked for (LoopOptions.isolation). */
  isolation: IsolationStatus | null = null;
  /** What pinning got, when asked for (LoopOptions.cpu). */
  affinity: AffinityStatus | null = null;

  constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    readonly shared: LoopShared,
    readonly rate_hz: number,
  ) {
    super();
    worker.on('message', (m: WorkerMessage) => this.onMessage(m));
    this.stopped = new Promise((resolve) => {
      worker.once('exit', async () => {
        // An isolated loop gives the main thread its scheduling back before stop() resolves; a refusal stays readable.
        if (this.isolation) this.isolation.error = (await releaseLoop()) ?? this.isolation.error;
        // Likewise its CPU goes back to the rest of the process.
        if (this.affinity?.loop_cpu != null && this.realtime) this.affinity.error = (await unpinLoop(this.realtime.tid)) ?? this.affinity.error;
        resolve(this.finalCadence);
      });
    });
  }

  private onMessage(m: WorkerMessage): void {
    if (m.type === 'applied') {
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
      this.emit('applied', m);
    } else if (m.type === 'stats') this.emit('stats', m);
    else if (m.type === 'event') this.emit('event', m);
    else if (m.type === 'stopped') this.finalCadence = m.cadence;
  }

  /** Queue a command; it takes effect at the loop's next tick. Returns its id (see SetpointSnapshot.command_id). */
  send(command: Command): number {
    const c = parseCommand(command);
    const id = this.nextId++;
    this.port.postMessage({ id, command: c });
    return id;
  }

  /** Resolves when the loop has applied command id (with the tick it took effect at, and any refusal). */
  applied(id: number): Promise<AppliedMessage> {
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  selectController(name: string, params?: unknown): Promise<AppliedMessage> {
    return this.applied(this.send({ type: 'controller', name, params }));
  }

  estop(reason: string): Promise<AppliedMessage> {
    return this.applied(this.send({ type: 'estop', reason }));
  }

  clear(): Promise<AppliedMessage> {
    return this.applied(this.send({ type: 'clear' }));
  }

  /** Call when a message from remote source arrives; stamped now, so queueing delay does not extend its life. */
  heartbeat(source: string): number {
    return this.send({ type: 'heartbeat', source, at_ns: monoNow_ns() });
  }

  /** Stops at the next wake-up (the sleep is interrupted) and resolves with the final cadence. */
  async stop(): Promise<CadenceSnapshot | null> {
    const control = new Int32Array(this.shared.control);
    Atomics.store(control, CONTROL_STOP, 1);
    Atomics.notify(control, CONTROL_STOP);
    const r = await this.stopped;
    this.port.close();
    return r;
  }
}

/** Starts the loop; resolves once the tick module is loaded and the first period is scheduled. */
export async function startLoop(options: LoopOptions): Promise<Loop> {
  const o = LoopOptionsSchema.parse(options);
  const envelope = parseEnvelopeConfig(o.envelope);
  const names = envelope.joints.map((j) => j.name);
  if (names.join() !== o.shared.joints.join())
    throw new Error(`envelope joints (${names.join(', ')}) must match the shared buffers' (${o.shared.joints.join(', ')}), in order`);
  const tickUrl = o.tickModule instanceof URL ? o.tickModule.href : o.tickModule.startsWith('file:') ? o.tickModule : pathToFileURL(o.tickModule).href;
  Atomics.store(new Int32Array(o.shared.control), CONTROL_STOP, 0);
  const { port1, port2 } = new MessageChannel();
  const isolate = o.isolation && o.rt_priority === null;
  const data: LoopWorkerData = {
    tick_module: tickUrl,
    tick_options: o.tick_options,
    rate_hz: o.rate_hz,
    spin_margin_us: isolate ? 0 : o.spin_margin_us,
    adaptive_spin: isolate ? false : o.adaptive_spin,
    rt_priority: o.rt_priority,
    stats_every_ticks: Math.max(1, Math.round(o.stats_every_s * o.rate_hz)),
    cadence_window_ticks: Math.max(2, Math.round(o.cadence_window_s * o.rate_hz)),
    envelope,
    shared: o.shared,
    commands: port2,
  };
  const worker = tsWorker(new URL('./loop-worker.ts', import.meta.url), { workerData: data, transferList: [port2] });
  const loop = new Loop(worker, port1, o.shared, o.rate_hz);
  await new Promise<void>((resolve, reject) => {
    const onReady = (m: WorkerMessage) => {
      if (m.type !== 'ready') return;
      loop.realtime = m.realtime;
      worker.off('message', onReady);
      worker.off('error', reject);
      resolve();
    };
    worker.on('message', onReady);
    worker.once('error', reject);
  });
  if (isolate && loop.realtime) loop.isolation = await isolateLoop(loop.realtime.tid);
  if (o.cpu !== null && loop.realtime) loop.affinity = await pinLoop(loop.realtime.tid, o.cpu);
  let failure: Error | null = null;
  worker.on('error', (e) => (failure = e));
  worker.once('exit', () => loop.emit('exit', failure));
  if (o.rt_required && loop.realtime?.error) {
    await loop.stop();
    throw new Error(describeRealtime(loop.realtime));
  }
  return loop;
}
