// Main-thread handle of an emulated node running paced to real time in a worker thread: a Transport plus async inspection.
import type { Worker } from 'node:worker_threads';
import type { Board } from '../hw/board.ts';
import type { NodeWiring } from '../hw/robot.ts';
import { FIRMWARE_HEX, ensureFirmware } from './firmware.ts';
import type { PlantFaults } from './node.ts';
import { NodeSnapshotSchema, type NodeSnapshot } from './snapshot.ts';
import { EmulatorTransport } from './transport.ts';
import { asTxMessage, FromWorkerSchema, PacerStatsSchema, PinsLowSchema, type Call, type FromWorker, type PinsLow, type WorkerInit, type WorkerStats } from './worker-protocol.ts';
import { monoNow_ns } from '../util/mono-clock.ts';
import { zodIssue } from '../util/zod-issue.ts';
import { tsWorker } from '../util/ts-worker.ts';

export interface WorkerNodeOptions {
  hexPath?: string;
  eeprom?: Uint8Array;
  /** [ms] emulated time per pacing turn at most. */
  chunk_ms?: number;
  /** [ms] lag that triggers onLag. */
  reportLag_ms?: number;
  /** Hidden wiring faults by joint name (see node.ts MotorFaultsSchema). */
  faults?: PlantFaults;
  /** How much nicer than the process the worker thread runs; default EMULATOR_NICE. */
  nice?: number;
}

/**
 * An emulated MCU stands in for a chip with a CPU of its own, yet here it runs on the host's cores: on a machine with
 * more runnable threads than cores it would take its share from the host's main thread and the browser, and their
 * wake-up latency (telemetry to the dashboard, the e-stop button) would be the emulators' doing. 5 nicer than the
 * process (weight 335 against 1024) it still gets every cycle the host leaves idle, and the host's threads run first
 * when they wake.
 */
export const EMULATOR_NICE = 5;

/**
 * [MB] The emulator worker's young generation at most. Its garbage is short-lived (one pacing turn's bytes and
 * events), yet V8 doubled its new space from 16 to 32 MB over the soak's first quarter hour in two of three workers,
 * which was most of the run's RSS growth. Capped, a scavenge comes more often and costs the same: it copies only what
 * survives.
 */
const EMULATOR_YOUNG_GENERATION_MB = 12;

/** The node's worker: worker.ts under tsx's loader (util/ts-worker.ts). */
function spawnWorker(init: WorkerInit): Worker {
  return tsWorker(new URL('./worker.ts', import.meta.url), { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: EMULATOR_YOUNG_GENERATION_MB } });
}

export class WorkerNode {
  readonly transport: EmulatorTransport;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private txListeners = new Set<(bytes: Uint8Array) => void>();
  private failListeners = new Set<(err: Error) => void>();
  private lagListeners = new Set<(lag_ms: number) => void>();
  private dead: Error | null = null;
  private stopping = false;

  private constructor(
    readonly id: string,
    private readonly worker: Worker,
  ) {
    this.transport = new EmulatorTransport(`emulator:${id}`, {
      toMcu: (bytes) => {
        if (this.dead) throw this.dead;
        this.worker.postMessage({ type: 'rx', bytes, sent_ns: monoNow_ns() });
      },
      fromMcu: (l) => {
        this.txListeners.add(l);
        return () => this.txListeners.delete(l);
      },
      onFailure: (l) => {
        this.failListeners.add(l);
        return () => this.failListeners.delete(l);
      },
    });
  }

  /** Start a worker for one node and wait until its firmware is running. */
  static async boot(wiring: NodeWiring, board: Board, opts: WorkerNodeOptions = {}): Promise<WorkerNode> {
    const hexPath = ensureFirmware(opts.hexPath ?? FIRMWARE_HEX);
    const worker = spawnWorker({ wiring, board, hexPath, eeprom: opts.eeprom as Uint8Array<ArrayBuffer> | undefined, chunk_ms: opts.chunk_ms, reportLag_ms: opts.reportLag_ms, faults: opts.faults, nice: opts.nice ?? EMULATOR_NICE });
    const node = new WorkerNode(wiring.id, worker);
    await new Promise<void>((resolve, reject) => {
      node.onReady = resolve;
      node.onBootFailure = reject;
      worker.on('message', (raw: unknown) => node.receive(raw));
      worker.on('error', (e) => node.fail(new Error(`emulator worker ${wiring.id} crashed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (!node.stopping) node.fail(new Error(`emulator worker ${wiring.id} exited (code ${code})`));
      });
    });
    return node;
  }

  private onReady: () => void = () => {};
  private onBootFailure: (e: Error) => void = () => {};

  private receive(raw: unknown): void {
    const tx = asTxMessage(raw);
    if (tx) {
      for (const l of this.txListeners) l(tx.bytes);
      return;
    }
    const r = FromWorkerSchema.safeParse(raw);
    if (!r.success) {
      this.fail(new Error(`emulator worker ${this.id} sent a bad message: ${zodIssue(r.error)}`));
      return;
    }
    const m: FromWorker = r.data;
    switch (m.type) {
      case 'ready':
        this.onReady();
        break;
      case 'tx':
        for (const l of this.txListeners) l(m.bytes);
        break;
      case 'lag':
        for (const l of this.lagListeners) l(m.lag_ms);
        break;
      case 'fatal':
        this.fail(new Error(`emulator worker ${this.id}: ${m.error}`));
        break;
      case 'result': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else p.reject(new Error(m.error ?? 'refused'));
        break;
      }
    }
  }

  private fail(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    this.onBootFailure(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const l of this.failListeners) l(err);
  }

  private call<T = void>(call: Call): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ type: 'call', id, call });
    });
  }

  /** Called when emulated time falls behind the wall clock by more than the threshold. */
  onLag(listener: (lag_ms: number) => void): void {
    this.lagListeners.add(listener);
  }

  async snapshot(): Promise<NodeSnapshot> {
    return NodeSnapshotSchema.parse(await this.call({ method: 'snapshot', args: [] }));
  }

  /** Pacing: lag behind the wall clock, emulated time and cycles. */
  async stats(): Promise<WorkerStats> {
    return PacerStatsSchema.parse(await this.call({ method: 'stats', args: [] }));
  }

  setInput(name: string, closed: boolean): Promise<void> {
    return this.call({ method: 'setInput', args: [name, closed] });
  }

  /** Closes the e-stop contact; resolves with the emulated cycle it closed at. */
  async pressEstop(): Promise<number> {
    const v = await this.call<unknown>({ method: 'pressEstop', args: [] });
    if (typeof v !== 'number') throw new Error(`emulator worker ${this.id}: pressEstop returned ${typeof v}`);
    return v;
  }

  releaseEstop(): Promise<void> {
    return this.call({ method: 'releaseEstop', args: [] });
  }

  pressButton(name: string): Promise<void> {
    return this.call({ method: 'pressButton', args: [name] });
  }

  releaseButton(name: string): Promise<void> {
    return this.call({ method: 'releaseButton', args: [name] });
  }

  setPot(which: string | number, volts: number): Promise<void> {
    return this.call({ method: 'setPot', args: [which, volts] });
  }

  driveEncoder(motorIndex: number, edges_per_s: number | null): Promise<void> {
    return this.call({ method: 'driveEncoder', args: [motorIndex, edges_per_s] });
  }

  async pinLevel(name: string): Promise<boolean> {
    const v = await this.call<unknown>({ method: 'pinLevel', args: [name] });
    if (typeof v !== 'boolean') throw new Error(`emulator worker ${this.id}: pinLevel returned ${typeof v}`);
    return v;
  }

  /**
   * When every named pin went low and stayed low for `stale_ms` of emulated time (PinsLow: the edge's cycle, the
   * monotonic instant it stands for, and when the emulator ran it), or null while any is high or toggling.
   */
  async pinsLowAt(names: string[], stale_ms: number): Promise<PinsLow | null> {
    const v = await this.call<unknown>({ method: 'pinsLowAt', args: [names, stale_ms] });
    return v === null ? null : PinsLowSchema.parse(v);
  }

  async pinDuty(name: string, stale_ms?: number): Promise<number> {
    const v = await this.call<unknown>({ method: 'pinDuty', args: stale_ms === undefined ? [name] : [name, stale_ms] });
    if (typeof v !== 'number') throw new Error(`emulator worker ${this.id}: pinDuty returned ${typeof v}`);
    return v;
  }

  /** Stop the worker; the transport reports closed. */
  async terminate(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.transport.close();
    this.worker.postMessage({ type: 'stop' });
    await this.worker.terminate();
    this.fail(new Error(`emulator ${this.id} was shut down`));
  }
}
