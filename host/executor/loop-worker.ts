// Inside the loop's worker thread: every period, read state, run the tick, pass its action through the envelope, publish setpoints.
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { CadenceStats } from './cadence.ts';
import { parseCommand, type AppliedMessage, type CommandEnvelope, type LoopEventMessage, type WorkerMessage } from './commands.ts';
import type { TickController, TickInput, TickModule } from './contract.ts';
import type { EnvelopeConfig } from './envelope-config.ts';
import { applyEnvelope, CLAMP_REASONS, clearLatches, createEnvelope, latchEstop, recordHeartbeat, type Envelope } from './envelope.ts';
import { CONTROL_STOP, SetpointWriter, StateReader, type LoopShared } from './shared.ts';
import { isPreemptRt, readScheduling, requestFifo } from './realtime.ts';
import { currentTid } from '../util/thread.ts';
import { atomicsClock, runHybridTimer, type TickTiming } from './timer.ts';
import { monoNow_ns } from '../util/mono-clock.ts';

export interface LoopWorkerData {
  tick_module: string;
  tick_options: unknown;
  rate_hz: number;
  spin_margin_us: number;
  adaptive_spin: boolean;
  /** SCHED_FIFO priority for this thread, null for the default scheduling. */
  rt_priority: number | null;
  stats_every_ticks: number;
  cadence_window_ticks: number;
  envelope: EnvelopeConfig;
  shared: LoopShared;
  commands: MessagePort;
}

const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const d = workerData as LoopWorkerData;

const mod = (await import(d.tick_module)) as Partial<TickModule>;
if (typeof mod.createTick !== 'function') throw new Error(`tick module ${d.tick_module} does not export createTick(init)`);
const env = createEnvelope(d.envelope, d.rate_hz);
const names = env.joints.map((j) => j.name);
if (names.join() !== d.shared.joints.join())
  throw new Error(`the envelope's joints (${names.join(', ')}) differ from the shared buffers' (${d.shared.joints.join(', ')}); list them in the same order`);
const tick: TickController = mod.createTick({
  joints: env.joints.map((j) => ({ name: j.name, kind: j.kind })),
  rate_hz: d.rate_hz,
  options: d.tick_options,
});

const reader = new StateReader(d.shared);
const writer = new SetpointWriter(d.shared);
const control = new Int32Array(d.shared.control);
const cadence = new CadenceStats({ target_hz: d.rate_hz, window_ticks: d.cadence_window_ticks });
const reasonIndex = new Map(CLAMP_REASONS.map((r, i) => [r, i]));
const clampCounts = new Float64Array(CLAMP_REASONS.length);
let tickErrors = 0;
let tickErrorReported = false;
let lastCommandId = 0;
let contendedAtLastStats = 0;

const input: TickInput = { tick: 0, now_ns: 0, period_s: 1 / d.rate_hz, state: reader.snapshot };

function event(tickIndex: number, kind: LoopEventMessage['kind'], text: string, joint?: string): void {
  post({ type: 'event', tick: tickIndex, kind, text, ...(joint === undefined ? {} : { joint }) });
}

function applyCommand(e: Envelope, msg: CommandEnvelope, t: TickTiming): void {
  const ack: AppliedMessage = { type: 'applied', id: msg.id, tick: t.index, ok: true };
  try {
    const c = parseCommand(msg.command);
    if (c.type === 'controller') {
      if (!tick.select) throw new Error('this tick module has no controllers to select');
      tick.select(c.name, c.params);
    } else if (c.type === 'estop') {
      latchEstop(e, c.reason);
      const what = e.config.on_estop === 'torque_off' ? 'torque is off on every joint' : 'every joint holds its safe default';
      event(t.index, 'estop', `e-stop: ${c.reason}; ${what} until cleared`);
    } else if (c.type === 'clear') {
      const had = e.estop || e.stallLatched.some((x) => x === 1);
      clearLatches(e);
      if (had) event(t.index, 'clear', 'e-stop and stall latches cleared');
    } else if (!recordHeartbeat(e, c.source, c.at_ns ?? t.start_ns)) {
      throw new Error(`unknown remote source "${c.source}"; the envelope knows ${e.config.sources.map((s) => s.id).join(', ') || 'none'}`);
    }
  } catch (err) {
    ack.ok = false;
    ack.error = (err as Error).message;
  }
  lastCommandId = msg.id;
  post(ack);
}

function publishStats(spinMargin_ns: number): void {
  const snap = cadence.snapshot();
  const clamps: Record<string, number> = {};
  clampCounts.forEach((v, i) => {
    if (v > 0) clamps[CLAMP_REASONS[i]!] = v;
  });
  clampCounts.fill(0);
  post({
    type: 'stats',
    cadence: snap,
    line: cadence.format(snap),
    clamps,
    tick_errors: tickErrors,
    state_contended: reader.contended - contendedAtLastStats,
    spin_margin_us: spinMargin_ns / 1000,
  });
  contendedAtLastStats = reader.contended;
  tickErrorReported = false;
}

// The timer blocks this thread (Atomics.wait + spin), so nothing asynchronous can finish once it runs: a tick module
// that loads things asynchronously (skill packages) exposes `ready`, and the loop starts after it settles.
await tick.ready?.catch(() => {});
// Real-time priority is taken by this thread only (the main thread, MQTT and the emulators keep theirs).
const tid = currentTid();
const realtime =
  d.rt_priority === null ? { requested: null, tid, ...readScheduling(tid), error: null, preempt_rt: isPreemptRt() } : requestFifo(tid, d.rt_priority);
post({ type: 'ready', realtime });

let lastSpinMargin_ns = d.spin_margin_us * 1000;
runHybridTimer({ rate_hz: d.rate_hz, spin_margin_us: d.spin_margin_us, adaptive_spin: d.adaptive_spin }, atomicsClock(control, CONTROL_STOP), (t) => {
  if (Atomics.load(control, CONTROL_STOP) !== 0) return false;
  if (t.skipped) cadence.addMissed(t.skipped);
  // Commands queued since the last tick apply now, before the tick runs: "at the next tick".
  for (let m = receiveMessageOnPort(d.commands); m; m = receiveMessageOnPort(d.commands)) applyCommand(env, m.message as CommandEnvelope, t);

  input.tick = t.index;
  input.now_ns = t.start_ns;
  const state = reader.read();
  let action = null;
  try {
    action = tick.step(input);
  } catch (err) {
    tickErrors++; // the envelope turns the missing action into safe defaults
    if (!tickErrorReported) event(t.index, 'tick_error', `tick ${t.index} threw: ${(err as Error).message}`);
    tickErrorReported = true;
  }
  const out = applyEnvelope(env, action, state, t.start_ns);
  for (let c = 0; c < out.clamp_count; c++) {
    const cl = out.clamps[c]!;
    clampCounts[reasonIndex.get(cl.reason)!]!++;
    if (cl.reason === 'stall') {
      const i = env.jointIndex.get(cl.subject)!;
      event(t.index, 'stall', env.stallReason[i] ?? `${cl.subject} stalled`, cl.subject);
    }
  }
  writer.write(t.index, t.start_ns, lastCommandId, out.estop, out.value, out.torque, out.safe);
  cadence.record(t.start_ns, monoNow_ns() - t.start_ns);
  lastSpinMargin_ns = t.spin_margin_ns;
  if ((t.index + 1) % d.stats_every_ticks === 0) publishStats(t.spin_margin_ns);
  return true;
});

publishStats(lastSpinMargin_ns);
post({ type: 'stopped', cadence: cadence.snapshot() });
