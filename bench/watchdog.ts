// Benchmark 5: link watchdog, emulated time from the host's last byte to every output at its default, beside the window.
import { loadRobot } from '../host/hw/robot.ts';
import { CONSTANTS } from '../host/protocol/messages.ts';
import { connectInThread } from './emulated-link.ts';
import { percentile, type Figure } from './report.ts';

const TRIALS = 10;

export async function run(): Promise<Figure[]> {
  const wiring = loadRobot().nodes.find((n) => n.id === 'base')!;
  const t = await connectInThread(wiring);
  const window_ms = wiring.watchdog_ms;
  const V = CONSTANTS.MODE.VELOCITY;
  const delays: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    await t.during(t.session.arm());
    await t.run(200, () => t.session.setMotors([V, V], [1000, 1000]));
    t.link.silent = true;
    const silentAt_ms = t.node.time_ms;
    // Step 0.05 ms at a time until both motors' PWM is at its default (0) and stays there.
    let off_ms = NaN;
    while (t.node.time_ms - silentAt_ms < 3 * window_ms) {
      t.node.runFor(0.05);
      const outputsOff = [0, 1].every((i) => t.node.motorState(i).pwm_duty === 0);
      if (outputsOff && Number.isNaN(off_ms)) off_ms = t.node.time_ms;
      if (!outputsOff) off_ms = NaN;
    }
    // Measured from the host's last write; its bytes reach the MCU up to one frame time (<0.3 ms) later,
    // so this overstates the delay slightly rather than flattering it.
    delays.push(off_ms - silentAt_ms);
    t.link.silent = false;
    await t.run(5);
  }
  await t.close();
  const p50 = percentile(delays, 50);
  const max = Math.max(...delays);
  return [
    { name: `host silence -> all PWM at default, median of ${TRIALS} trips (emulated)`, value: p50, unit: 'ms', baseline: { label: 'configured window', value: window_ms, unit: 'ms' },
      goal: '<= 1.2x window', pass: max <= 1.2 * window_ms, note: `max ${max.toFixed(2)} ms = ${(max / window_ms).toFixed(3)}x the window` },
  ];
}
