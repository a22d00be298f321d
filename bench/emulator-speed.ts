// Benchmark 4: emulator speed, simulated MHz of the real firmware with its plants, beside the chip's 16 MHz real time.
import { loadRobot } from '../host/hw/robot.ts';
import { CONSTANTS } from '../host/protocol/messages.ts';
import { positionSetpoint } from '../host/protocol/position.ts';
import { measureSpeed } from '../host/emulator/measure.ts';
import { connectInThread, fourMotorWiring } from './emulated-link.ts';
import type { Figure } from './report.ts';

const REAL_MHZ = 16;

export async function run(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const base = loadRobot().nodes.find((n) => n.id === 'base')!;
  const cases = [
    { label: 'reference base node, wheels under velocity PID, 200 Hz telemetry', wiring: base, mode: CONSTANTS.MODE.VELOCITY, value: 1200 },
    { label: '4-motor load node, position PID, 1 kHz telemetry', wiring: fourMotorWiring(1000), mode: CONSTANTS.MODE.POSITION, value: positionSetpoint(3000) },
  ];
  for (const c of cases) {
    const t = await connectInThread(c.wiring);
    const n = c.wiring.motors.length;
    const send = () => t.session.setMotors(Array(n).fill(c.mode), Array(n).fill(c.value));
    await t.run(100, send);
    // Several 200 ms samples with yields between, so the session keeps up; report the median sample.
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      samples.push(measureSpeed(t.node, 200, send).simulated_mhz);
      await new Promise((r) => setImmediate(r));
    }
    await t.close();
    samples.sort((a, b) => a - b);
    const mhz = samples[5]!;
    figures.push({ name: `${c.label} (median of 10 x 200 ms emulated)`, value: mhz, unit: 'simulated MHz', baseline: { label: 'ATmega328P real time', value: REAL_MHZ, unit: 'MHz' },
      goal: '>= 3x real time', pass: mhz >= 3 * REAL_MHZ, note: `${(mhz / REAL_MHZ).toFixed(2)}x real time (min sample ${samples[0]!.toFixed(1)} MHz)` });
  }
  return figures;
}
