// Recording overhead: the executor loop at 1 kHz with every tick recorded (20 joints: position, velocity and setpoint each) for 60 s, beside the same loop not recording: dropped and never-sampled ticks, and the cost on the control pipeline thread against the 1 ms budget (encoding runs on the recorder's writer thread).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CadenceSnapshot } from '../host/executor/cadence.ts';
import { referenceEnvelope } from '../host/skills/reference-robot.ts';
import { startLoop } from '../host/executor/loop.ts';
import { createLoopShared, HISTORY_TICKS, SetpointReader, StateWriter, type SetpointSnapshot } from '../host/executor/shared.ts';
import { monoToPerf_ms } from '../host/util/mono-clock.ts';
import { readRecording } from '../host/record/reader.ts';
import { Recorder } from '../host/record/recorder.ts';
import type { Sample } from '../host/record/sample.ts';
import type { Figure } from './report.ts';

const RATE_HZ = 1000;
const CHANNELS = 20;
const SECONDS = Number(process.env.GANGLION_BENCH_RECORDING_S ?? 60);
const LOOP_JOINTS = ['wheel_left', 'wheel_right', 'shoulder', 'elbow', 'gripper'];
const JOINTS = Array.from({ length: CHANNELS }, (_, i) => `joint_${String(i).padStart(2, '0')}`);

interface Run {
  cadence: CadenceSnapshot;
  ticks: number;
  /** Ticks the consumer read from the loop's history: it was busy when they went out. */
  late: number;
  /** Ticks lost: the consumer fell further behind than the history holds. */
  seq_gaps: number;
  cpu_us: number;
  samples_read: number | null;
  bytes: number | null;
  refused: number;
  /** [ms] recorder time on the consumer's thread: add() and the hand-over to the writer thread. */
  recorder_ms: number;
  /** [ms] the writer thread's encoding and writing, and the wait at the episode's end. */
  writer_ms: number;
  wait_ms: number;
}

/** The real worker loop at 1 kHz (reference envelope, sine tick); the main thread consumes every setpoint, and records it when `file` is given. */
async function runLoop(file: string | null): Promise<Run> {
  const shared = createLoopShared(LOOP_JOINTS);
  const state = new StateWriter(shared);
  const feed = () => state.write(Object.fromEntries(LOOP_JOINTS.map((j) => [j, { position_rad: 0, velocity_radps: 0 }])), { x_m: 0, y_m: 0, heading_rad: 0 });
  feed();
  const feeder = setInterval(feed, 5);
  const loop = await startLoop({
    rate_hz: RATE_HZ, tickModule: new URL('../host/executor/example-tick.ts', import.meta.url), shared, envelope: referenceEnvelope(),
    tick_options: { controller: 'sine', params: { joint: 'shoulder', center_rad: 0, amplitude_rad: 0.2, frequency_hz: 0.5 } },
    stats_every_s: 1, cadence_window_s: SECONDS,
  });
  const rec = file ? new Recorder({ file, joints: JOINTS, joint_kinds: JOINTS.map(() => 'position'), task: 'bench', fps: RATE_HZ, robot: 'bench' }) : null;
  rec?.startEpisode();
  const reader = new SetpointReader(shared);
  let ticks = 0;
  let gaps = 0;
  let late = 0;
  let consuming = true;
  const cpu0 = process.cpuUsage();
  const consumer = (async () => {
    let seq = 0;
    let tick = -1;
    // The same sample is built in both runs: only the recorder differs.
    const consume = (s: SetpointSnapshot) => {
      ticks++;
      const v = s.value[2]!;
      const position_rad = JOINTS.map((_, i) => v + i * 1e-3);
      const sample: Sample = {
        taken_ns: BigInt(Math.round((performance.timeOrigin + monoToPerf_ms(s.stamp_ns)) * 1e6)), position_rad, velocity_radps: position_rad.map((x) => x * 0.5),
        base: { x_m: 0, y_m: 0, heading_rad: 0 }, objects: [], held_id: null, action: position_rad, teleop: null, skill: null, control: 'skill',
      };
      rec?.add(sample);
    };
    while (consuming) {
      const s = await reader.next(seq, 2000);
      seq = s.seq;
      // Ticks this thread did not see when they went out come from the loop's history, as the runtime's pump does;
      // what the history no longer holds is lost.
      if (tick >= 0) {
        const missed = reader.between(tick, s.tick);
        late += missed.ticks.length;
        gaps += missed.lost;
        missed.ticks.forEach(consume);
      }
      tick = s.tick;
      consume(s);
    }
  })();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  consuming = false;
  const cadence = await loop.stop();
  clearInterval(feeder);
  await consumer.catch(() => undefined);
  rec?.close();
  const cpu = process.cpuUsage(cpu0);
  if (!cadence) throw new Error('the loop stopped without reporting its cadence');
  let samples_read: number | null = null;
  if (file) samples_read = readRecording(file).episodes.reduce((n, e) => n + e.frames.length, 0);
  return { cadence, ticks, late, seq_gaps: gaps, cpu_us: cpu.user + cpu.system, samples_read, bytes: file ? statSync(file).size : null, refused: rec?.state().refused ?? 0, recorder_ms: rec?.state().busy_ms ?? 0, writer_ms: rec?.state().writer_ms ?? 0, wait_ms: rec?.state().wait_ms ?? 0 };
}

export async function run(): Promise<Figure[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ganglion-bench-rec-'));
  try {
    const base = await runLoop(null);
    const recd = await runLoop(path.join(dir, 'bench.mcap'));
    const budget_us = 1e6 / RATE_HZ;
    // Dropped: samples handed to the recorder that are not in the file read back.
    const dropped = recd.ticks - (recd.samples_read ?? 0);
    const cost_us = (1000 * recd.recorder_ms) / recd.ticks;
    const pct = (100 * cost_us) / budget_us;
    const cpuDiff_us = recd.cpu_us / recd.ticks - base.cpu_us / base.ticks;
    return [
      {
        name: `samples dropped by the recorder, ${RATE_HZ} Hz x ${CHANNELS} joint channels (position, velocity, setpoint) for ${SECONDS} s`,
        value: dropped, unit: 'samples', baseline: { label: 'samples handed to it', value: recd.ticks },
        goal: '0', pass: dropped === 0,
        note: `${recd.samples_read} read back from ${((recd.bytes ?? 0) / 1e6).toFixed(0)} MB of MCAP, ${recd.refused} refused`,
      },
      {
        name: 'loop ticks never sampled (the pump thread fell behind by more than the loop\'s history holds)', value: recd.seq_gaps, unit: 'ticks',
        baseline: { label: 'same loop not recording', value: base.seq_gaps }, goal: '0 (no sample lost)', pass: recd.seq_gaps === 0,
        note: `${recd.late} ticks (${((100 * recd.late) / Math.max(1, recd.ticks)).toFixed(2)} %) went out while the pump thread was busy and were read from the history (${HISTORY_TICKS} ticks) afterwards, ${base.late} not recording; without the history they would be missing from the recording`,
      },
      {
        name: 'recorder time on the control pipeline thread per tick (check + queue + hand-over to the writer thread)', value: cost_us, unit: 'us',
        baseline: { label: `tick budget at ${RATE_HZ} Hz`, value: budget_us }, goal: '<= 5 % of the budget', pass: pct <= 5,
        note: `${pct.toFixed(1)} % of the budget = ${cost_us.toFixed(0)} us / ${budget_us} us; the writer thread spent ${((1000 * recd.writer_ms) / recd.ticks).toFixed(0)} us a tick encoding and writing (JSON of 60 doubles + MCAP chunks), off this thread; the episode's end waited ${recd.wait_ms.toFixed(0)} ms for it once; whole-process CPU per tick ${(recd.cpu_us / recd.ticks).toFixed(1)} us recording vs ${(base.cpu_us / base.ticks).toFixed(1)} us not (difference ${cpuDiff_us.toFixed(1)} us; the loop worker's spinning is in both)`,
      },
      {
        name: 'loop period error p99, recording', value: recd.cadence.period_error_p99_us, unit: 'us',
        baseline: { label: 'same loop not recording', value: base.cadence.period_error_p99_us },
        note: `achieved ${recd.cadence.achieved_hz.toFixed(1)} Hz vs ${base.cadence.achieved_hz.toFixed(1)} Hz; over budget ${recd.cadence.over_budget} vs ${base.cadence.over_budget}; missed ${recd.cadence.missed} vs ${base.cadence.missed}; tick p99 ${recd.cadence.tick_p99_us.toFixed(0)} vs ${base.cadence.tick_p99_us.toFixed(0)} us`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
