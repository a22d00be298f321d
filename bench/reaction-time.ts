// Benchmark (issue 4): reaction time from a correction or a skill change arriving to the first changed set_motors frame
// on the wire, through the whole runtime (skill tick in the executor worker, envelope, sessions) to posix firmware on ptys.
import { loadBoard } from '../host/hw/board.ts';
import { loadRobot } from '../host/hw/robot.ts';
import { calibrationForRun } from '../host/calibration/gate.ts';
import { calibratedNode } from '../host/calibration/require.ts';
import { McuSession } from '../host/link/session.ts';
import { SerialTransport } from '../host/link/serial.ts';
import { PosixMcu, asPosixBoard } from '../host/link/posix-mcu.ts';
import type { Transport } from '../host/link/transport.ts';
import { decodePayload } from '../host/protocol/codec.ts';
import { RobotRuntime } from '../host/runtime/runtime.ts';
import { sceneAround } from '../host/world/scene-around.ts';
import { envelopeFor, REFERENCE_LIMITS } from '../host/executor/envelope-config.ts';
import { envelopeWithCalibration } from '../host/runtime/limits.ts';
import { geometryFor } from '../host/skills/geometry.ts';
import { wheelJoints } from '../host/world/odometry.ts';
import { TabletopPerception } from '../host/world/tabletop-perception.ts';
import { CONSTANTS } from '../host/protocol/messages.ts';
import { percentile, type Figure } from './report.ts';

const RATE_HZ = 500;
const TRIALS = 40;

/** Timestamps every set_motors frame the host writes, with its values. */
class WireTap implements Transport {
  frames: { t_ms: number; value: number[] }[] = [];
  constructor(private readonly inner: Transport) {}
  get name() { return this.inner.name; }
  get isOpen() { return this.inner.isOpen; }
  open() { return this.inner.open(); }
  close() { return this.inner.close(); }
  onData(l: (b: Uint8Array) => void) { this.inner.onData(l); }
  onClose(l: (e?: Error) => void) { this.inner.onClose(l); }
  write(bytes: Uint8Array) {
    const t_ms = performance.now();
    try {
      for (const m of decodePayload(bytes.subarray(2, bytes.length - 3))) if (m.name === 'set_motors') this.frames.push({ t_ms, value: m.fields.value });
    } catch { /* not a frame we need */ }
    this.inner.write(bytes);
  }
}

/** Time from `act()` to the first set_motors frame on `tap` whose values differ from the last one before it. */
async function reaction(tap: WireTap, act: () => Promise<unknown>): Promise<number> {
  await new Promise((r) => setTimeout(r, 60));
  const before = tap.frames.at(-1)?.value.join();
  const n0 = tap.frames.length;
  const t0 = performance.now();
  await act();
  for (let i = 0; i < 200; i++) {
    const hit = tap.frames.slice(n0).find((f) => f.value.join() !== before);
    if (hit) return hit.t_ms - t0;
    await new Promise((r) => setTimeout(r, 2));
  }
  return NaN;
}

export async function run(): Promise<Figure[]> {
  const robot = loadRobot();
  const calibration = await calibrationForRun(robot, { simulated: true });
  const cleanups: (() => Promise<unknown>)[] = [];
  const sessions = new Map<string, McuSession>();
  let armTap: WireTap | null = null;
  try {
    for (const n of robot.nodes) {
      const mcu = new PosixMcu();
      const pty = await mcu.start();
      cleanups.push(() => mcu.stop());
      const board = asPosixBoard(loadBoard(n.board));
      const tap = new WireTap(SerialTransport.forBoard(pty, board));
      if (n.id === 'arm') armTap = tap;
      const s = new McuSession({ transport: tap, node: calibratedNode(n, calibration), board, reconnect: false });
      cleanups.push(() => s.close());
      await s.connect();
      sessions.set(n.id, s);
    }
    const envelope = envelopeWithCalibration(envelopeFor(REFERENCE_LIMITS, robot.kinematics, robot.name), calibration);
    const geometry = geometryFor(robot, envelope);
    const perception = new TabletopPerception(sceneAround({ x_m: 0, y_m: 0, heading_rad: 0 }, 1), { geometry, wheels: wheelJoints(envelope) });
    const rt = new RobotRuntime({ calibration, sessions, rate_hz: RATE_HZ, envelope, geometry, perception });
    await rt.start();
    cleanups.push(() => rt.stop());
    for (const s of sessions.values()) await s.arm();
    const tap = armTap!;

    // The envelope's output (rad, before count quantization and the MCU link), timestamped as the runtime sends it.
    const outputs: { t_ms: number; value: string }[] = [];
    rt.on('setpoints', (v) => outputs.push({ t_ms: performance.now(), value: Array.from(v).join() }));
    const outputReaction = async (act: () => Promise<unknown>): Promise<number> => {
      await new Promise((r) => setTimeout(r, 60));
      const before = outputs.at(-1)?.value;
      const n0 = outputs.length;
      const t0 = performance.now();
      await act();
      for (let i = 0; i < 200; i++) {
        const hit = outputs.slice(n0).find((o) => o.value !== before);
        if (hit) return hit.t_ms - t0;
        await new Promise((r) => setTimeout(r, 2));
      }
      return NaN;
    };
    const corrOut: number[] = [];
    const skillOut: number[] = [];
    const corr: number[] = [];
    const skill: number[] = [];
    // Let telemetry fill the loop's state (joints and pose) before the first skill reads it.
    await new Promise((r) => setTimeout(r, 500));
    // Bend the arm first: at full stretch (the power-up pose) a nudge has nowhere to go.
    await rt.runSkill('reach', { x_m: 0.24, y_m: 0.0 });
    for (let i = 0; i < TRIALS; i++) {
      void rt.runSkill('hold', {});
      await new Promise((r) => setTimeout(r, 100));
      corr.push(await reaction(tap, () => rt.correct(i % 2 ? 'a bit to the left' : 'a bit to the right')));
      corrOut.push(await outputReaction(() => rt.correct(i % 2 ? 'a bit to the right' : 'a bit to the left')));
      skill.push(await reaction(tap, () => rt.loop!.selectController('skill', { name: 'reach', args: { x_m: 0.23 + 0.01 * (i % 3), y_m: 0.03 }, request_id: `b${i}` })));
      await rt.loop!.selectController('cancel');
      // The same skill change, seen at the envelope output (before count quantization and the wire).
      void rt.runSkill('hold', {});
      await new Promise((r) => setTimeout(r, 100));
      skillOut.push(await outputReaction(() => rt.loop!.selectController('skill', { name: 'reach', args: { x_m: 0.23 + 0.01 * ((i + 1) % 3), y_m: 0.02 }, request_id: `o${i}` })));
      await rt.loop!.selectController('cancel');
    }
    const period_ms = 1000 / RATE_HZ;
    const fig = (name: string, all: number[]): Figure => {
      const xs = all.filter((x) => !Number.isNaN(x));
      return {
      name: `${name}, median of ${xs.length}`, value: percentile(xs, 50), unit: 'ms',
      baseline: { label: `control period at ${RATE_HZ} Hz`, value: period_ms }, goal: '<= 2 control periods', pass: percentile(xs, 50) <= 2 * period_ms,
      note: `p99 ${percentile(xs, 99).toFixed(2)} ms; ${all.length - xs.length} of ${all.length} trials saw no change within 400 ms`,
      };
    };
    // The arithmetic of the wire figure's floor: POSITION setpoints travel in 1/256 count (protocol/position.ts), and
    // the envelope ramps a joint from rest at its acceleration limit a, so the first setpoint changes after
    // t = sqrt(2 d / a), d = 1/256 count in rad at worst. In 2 control periods the ramp covers a (2T)^2 / 2.
    const shoulder = calibration.joints['shoulder'];
    const limit = envelope.joints.find((j) => j.name === 'shoulder');
    const perRad = shoulder && shoulder.kind === 'dc' ? shoulder.counts_per_rad : NaN;
    const accel = limit?.accel_max_radps2 ?? NaN;
    const step_counts = 1 / 2 ** CONSTANTS.POSITION.FRAC_BITS;
    const stepFloor_ms = 1000 * Math.sqrt((2 * step_counts) / perRad / accel);
    const countFloor_ms = 1000 * Math.sqrt(2 / perRad / accel);
    const inTwo_counts = 0.5 * accel * (2 * period_ms / 1000) ** 2 * perRad;
    const floorFig: Figure = {
      name: 'floor of the wire figure: envelope ramp from rest to one POSITION step, 1/256 count (computed, shoulder)', value: stepFloor_ms, unit: 'ms',
      baseline: { label: `2 control periods at ${RATE_HZ} Hz`, value: 2 * period_ms },
      note: `t = sqrt(2 x ${step_counts} / (counts_per_rad ${perRad.toFixed(0)} x accel ${accel} rad/s^2)); in 2 periods the ramp moves ${inTwo_counts.toFixed(3)} count ` +
        `(${(inTwo_counts / step_counts).toFixed(1)} steps of 1/256). With whole-count setpoints (before) the floor was ${countFloor_ms.toFixed(1)} ms: no change could show on the wire within 2 periods from rest.`,
    };
    return [
      floorFig,
      // On the wire a change shows once the envelope's acceleration ramp from rest has moved a joint by 1/256 count;
      // at the envelope output it shows at the next tick.
      fig('correction -> first changed set_motors on the wire', corr),
      fig('correction -> first changed envelope output (rad)', corrOut),
      fig('skill change -> first changed set_motors on the wire', skill),
      fig('skill change -> first changed envelope output (rad)', skillOut),
    ];
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }
}
