// Benchmark 1: firmware CPU load in emulated cycles per 1 kHz control period, 4 motors under PID + 5 kHz encoder edges
// each + 1 kHz telemetry + 1 kHz setpoints, beside the idle firmware. Cycle counts are exact, whatever the host load.
import { CONSTANTS } from '../host/protocol/messages.ts';
import { positionSetpoint } from '../host/protocol/position.ts';
import { elfFor, FIRMWARE_HEX } from '../host/emulator/firmware.ts';
import { findIdleRange, measureBusy, type BusyResult } from '../host/emulator/measure.ts';
import { connectInThread, fourMotorWiring, type InThread } from './emulated-link.ts';
import type { Figure } from './report.ts';

const CYCLES_PER_PERIOD = 16_000; // 16 MHz / 1 kHz
const PERIODS = 1000;

/** Busy fraction over PERIODS control periods, yielding to the event loop so the session sees acks and telemetry. */
async function busy(t: InThread, each: () => void): Promise<BusyResult> {
  const range = findIdleRange(elfFor(FIRMWARE_HEX)!);
  const per: number[] = [];
  for (let i = 0; i < PERIODS; i += 10) {
    per.push(...measureBusy(t.node, range, 10, each).perPeriod);
    await new Promise((r) => setImmediate(r));
  }
  const s = [...per].sort((a, b) => a - b);
  return { periods: per.length, perPeriod: per, mean: per.reduce((a, b) => a + b, 0) / per.length, max: s[s.length - 1]!, p99: s[Math.floor(s.length * 0.99)]! };
}

export async function run(): Promise<Figure[]> {
  // Baseline: the same firmware, armed, 4 motors configured but off, telemetry at 200 Hz, no traffic.
  const idle = await connectInThread(fourMotorWiring(200));
  await idle.run(20);
  const base = await busy(idle, () => {});
  await idle.close();

  const figures: Figure[] = [];
  const MODES = [
    { name: 'POSITION, target moving every ms', mode: CONSTANTS.MODE.POSITION, value: (k: number, i: number) => positionSetpoint((i % 2 ? -1 : 1) * (i + 1) * k) },
    { name: 'VELOCITY', mode: CONSTANTS.MODE.VELOCITY, value: (_k: number, i: number) => (i % 2 ? -1 : 1) * 2000 },
    { name: 'PWM (open loop)', mode: CONSTANTS.MODE.PWM, value: (_k: number, i: number) => (i % 2 ? -1 : 1) * 500 },
  ];
  for (const m of MODES) {
    const t = await connectInThread(fourMotorWiring(1000));
    await t.during(t.session.command('config_link', { watchdog_ms: 100, telemetry_hz: 1000, status_div: 10 }));
    for (let i = 0; i < 4; i++) t.node.driveEncoder(i, 5000);
    let k = 0;
    const setpoints = () => { k++; t.session.setMotors([m.mode, m.mode, m.mode, m.mode], [0, 1, 2, 3].map((i) => m.value(k, i))); };
    // Frames lost count from before the warm-up to the end: the goal is none at all, not none in the window.
    const { telemetryLost: lost0, telemetryFrames: got0 } = t.session.stats().telemetry;
    await t.run(50, setpoints);
    const o0 = t.session.stats().telemetry.mcuOverruns;
    const load = await busy(t, setpoints);
    await t.run(20, setpoints);
    const st = t.session.stats();
    await t.close();
    const pct = (x: number) => 100 * x;
    const lost = st.telemetry.telemetryLost - lost0;
    const what = `4 motors ${m.name}, 4x5 kHz encoder edges, 1 kHz telemetry + setpoints`;
    const idleBase = (v: number) => ({ label: 'idle firmware (armed, no traffic), same statistic', value: pct(v), unit: '%' });
    const context = `worst ${Math.round(load.max * CYCLES_PER_PERIOD)} of ${CYCLES_PER_PERIOD} cycles; ${st.telemetry.mcuOverruns - o0} periods overran; ${st.armed ? 'armed throughout' : 'NOT armed at the end: ' + st.faults.join(', ')}`;
    figures.push(
      { name: `busy mean, ${what}`, value: pct(load.mean), unit: '% of 16,000 cycles', baseline: idleBase(base.mean), goal: 'mean <= 30 %', pass: load.mean <= 0.3, note: context },
      { name: `busy p99 period, ${what}`, value: pct(load.p99), unit: '% of 16,000 cycles', baseline: idleBase(base.p99), goal: 'p99 <= 60 %', pass: load.p99 <= 0.6 },
      { name: `telemetry frames lost, ${what} (warm-up + ${load.periods} measured + 20 periods)`, value: lost, unit: 'frames',
        baseline: { label: 'frames the firmware counted out (received + lost)', value: st.telemetry.telemetryFrames - got0 + lost, unit: 'frames' }, goal: '0 frames lost', pass: lost === 0 },
    );
  }
  return figures;
}
