// Test infrastructure shared by test/link/fault-injection.test.ts and bench/fault-injection.ts: N distinct commands
// (set_servo with a pulse that changes every command) pipelined through McuSession, a 200 Hz setpoint stream beside
// them, over a FaultTransport to the posix firmware on a pty. Every status frame's applied record is checked against
// the frames written (AppliedLog), and both ends' counters are read at two quiet points around the faulty stretch.
import { McuSession } from '../../../host/link/session.ts';
import { SerialTransport } from '../../../host/link/serial.ts';
import { PosixMcu } from '../../../host/link/posix-mcu.ts';
import { CONSTANTS } from '../../../host/protocol/messages.ts';
import type { McuState } from '../../../host/link/telemetry.ts';
import type { LinkStats } from '../../../host/link/link-stats.ts';
import { FaultTransport, type FaultCounts, type FaultRates } from './fault-transport.ts';
import { AppliedLog } from './applied-log.ts';
import { referenceNode } from './posix.ts';

export interface FaultRunOptions {
  commands: number;
  /** Injected the same in both directions. */
  rates: FaultRates;
  seed: number;
  watchdogMs: number;
  /** Commands in flight at once (default 4). */
  depth?: number;
  /** [ms] no telemetry for this long and the session gives the link up (McuSession's default is 500 ms). */
  telemetryTimeoutMs?: number;
  /** [Hz] set_motors stream beside the commands (default 0: none). */
  setpointHz?: number;
  /** The session's log lines (degraded, re-arm decisions); default: kept in the result. */
  log?: (line: string) => void;
}

/** Both ends' counters at a quiet point: nothing in flight and the MCU's record covering every frame written. */
interface Snapshot {
  writes: number;
  distinct: number;
  retransmits: number;
  mcuApplied: number;
  mcuSeqErrors: number;
  mcuCrcErrors: number;
  hostFrames: number;
  hostCrcErrors: number;
  hostBytesDropped: number;
  telemetryLost: number;
  down: FaultCounts;
  up: FaultCounts;
}

export interface FaultRunResult {
  commands: { sent: number; acked: number; failed: number; firstError: string | null };
  /** [ms] enqueue -> ack of each acked command, sorted. */
  ackMs: number[];
  /** Status records checked against the frames written, and those that differed (must be none). */
  recordsChecked: number;
  mismatches: string[];
  /** Distinct frames the host wrote (the identify included) and the MCU's final count of frames applied. */
  distinctWritten: number;
  mcuApplied: number;
  retransmitsResentDifferently: number;
  /** The servo pulse of the last command, and the pulse the MCU reports it outputs. */
  lastPulseUs: number;
  mcuServoUs: number;
  /** Deltas over the faulty stretch (between the two quiet points). */
  before: Snapshot;
  after: Snapshot;
  /** The session's log lines (unless options.log took them). */
  log: string[];
  /** The session's link statistics at the end. */
  link: LinkStats;
  tripped: number;
  disconnects: number;
  degradations: number;
  durationMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const FIRST_PULSE_US = 1000;
const PULSES = 1001; // the arm node's gripper servo accepts 1000..2000 us: consecutive commands always differ

export async function faultRun(o: FaultRunOptions): Promise<FaultRunResult> {
  const mcu = new PosixMcu();
  await mcu.start();
  const ref = referenceNode('arm');
  const node = { ...ref.node, watchdog_ms: o.watchdogMs };
  const faults = new FaultTransport(SerialTransport.forBoard(mcu.ptyPath!, ref.board), o.seed);
  const log = new AppliedLog(faults);
  const lines: string[] = [];
  const s = new McuSession({ transport: log, node, board: ref.board, telemetry_timeout_ms: o.telemetryTimeoutMs, log: o.log ?? ((l) => lines.push(l)) });
  const mismatches: string[] = [];
  let recordsChecked = 0;
  let tripped = 0;
  let disconnects = 0;
  let lastApplied = 0;
  s.on('status', (st) => {
    // After a link loss the log restarts at the new identify while statuses from before it may still arrive: the run
    // has failed then (disconnects > 0), and records are no longer comparable.
    if (disconnects > 0) return;
    recordsChecked++;
    lastApplied = st.applied.frames;
    const m = log.mismatch(st.applied);
    if (m) mismatches.push(m);
  });
  s.on('telemetry', (st) => { if (st.faults & CONSTANTS.FAULT.WATCHDOG_TRIPPED) tripped++; });
  s.on('disconnected', ({ reason }) => {
    disconnects++;
    const w = s.stats();
    lines.push(`disconnected: ${reason} (MCU applied ${lastApplied} of ${log.frames} frames written; ${w.badAcks} acks outside the window)`);
  });
  try {
    await s.connect();
    await s.arm();
    const before = await quietPoint(s, log, faults);
    faults.down = { ...o.rates };
    faults.up = { ...o.rates };
    const t0 = performance.now();
    let k = 0;
    const stream = o.setpointHz ? setInterval(() => s.setMotors([CONSTANTS.MODE.PWM, CONSTANTS.MODE.PWM], [100 + (k % 200), -100 - (k++ % 200)]), 1000 / o.setpointHz) : undefined;
    const ackMs: number[] = [];
    const c = { sent: 0, acked: 0, failed: 0, firstError: null as string | null };
    const inFlight = new Set<Promise<void>>();
    let lastPulseUs = 0;
    while (c.sent < o.commands) {
      while (inFlight.size < (o.depth ?? 4) && c.sent < o.commands) {
        const pulse = FIRST_PULSE_US + (c.sent++ % PULSES);
        lastPulseUs = pulse;
        const sentAt = performance.now();
        const p: Promise<void> = s.command('set_servo', { index: 0, pulse_us: pulse }).then(
          () => { c.acked++; ackMs.push(performance.now() - sentAt); },
          (e: Error) => { c.failed++; c.firstError ??= e.message; },
        ).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    clearInterval(stream);
    const durationMs = performance.now() - t0;
    faults.down = {};
    faults.up = {};
    const after = await quietPoint(s, log, faults);
    const st = s.mcuState!;
    ackMs.sort((a, b) => a - b);
    return {
      commands: c, ackMs, recordsChecked, mismatches, distinctWritten: log.frames, mcuApplied: st.applied.frames,
      retransmitsResentDifferently: log.resentDifferently, lastPulseUs, mcuServoUs: st.servoUs[0]!,
      before, after, log: lines, link: s.stats(), tripped, disconnects, degradations: s.stats().degradations, durationMs,
    };
  } finally {
    await s.close();
    await mcu.stop();
  }
}

/** Waits (faults off) for a status frame whose applied record covers every frame written, with none in flight: then
 *  no frame is on the wire in either direction and both ends' counters describe the same history. */
async function quietPoint(s: McuSession, log: AppliedLog, faults: FaultTransport, timeoutMs = 15_000): Promise<Snapshot> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const st = await nextStatus(s, Math.max(1, end - performance.now()));
    const w = s.stats();
    if (w.inFlightFrames === 0 && st.applied.frames === log.frames) {
      const tel = w.telemetry;
      return {
        writes: log.writes, distinct: log.frames, retransmits: w.retransmits,
        mcuApplied: st.applied.frames, mcuSeqErrors: tel.mcuSeqErrors, mcuCrcErrors: tel.mcuCrcErrors,
        hostFrames: w.host.frames, hostCrcErrors: w.host.crcErrors + w.host.lengthErrors + w.host.syncErrors,
        hostBytesDropped: w.host.bytesDropped, telemetryLost: tel.telemetryLost,
        down: { ...faults.counts.down }, up: { ...faults.counts.up },
      };
    }
    if (performance.now() > end) throw new Error(`the link did not go quiet in ${timeoutMs} ms (MCU applied ${st.applied.frames} of ${log.frames} frames)`);
    await sleep(1);
  }
}

function nextStatus(s: McuSession, timeoutMs: number): Promise<McuState> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { s.off('status', on); reject(new Error(`no status frame in ${Math.round(timeoutMs)} ms`)); }, timeoutMs);
    const on = (st: McuState) => { clearTimeout(timer); s.off('status', on); resolve(st); };
    s.on('status', on);
  });
}

/** Counter differences after - before, per field. */
export function delta<T extends object>(after: T, before: T): T {
  const out = {} as Record<string, unknown>;
  for (const [k, v] of Object.entries(after)) {
    const b = (before as Record<string, unknown>)[k];
    out[k] = typeof v === 'number' ? v - (b as number) : typeof v === 'object' && v ? delta(v, b as object) : v;
  }
  return out as T;
}
