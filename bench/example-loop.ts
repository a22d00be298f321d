// Bench helper: the executor loop as production sets it up (reference envelope, example sine tick, state fed at 200 Hz, every setpoint consumed), for the jitter figures.
import type { CadenceSnapshot } from '../host/executor/cadence.ts';
import { monoNow_ns } from '../host/util/mono-clock.ts';
import { percentile } from './report.ts';
import { referenceEnvelope } from '../host/skills/reference-robot.ts';
import { startLoop, type Loop } from '../host/executor/loop.ts';
import { createLoopShared, SetpointReader, StateWriter } from '../host/executor/shared.ts';

const REFERENCE_ENVELOPE = referenceEnvelope();

const JOINTS = ['wheel_left', 'wheel_right', 'shoulder', 'elbow', 'gripper'];

/** The final cadence, and how long each setpoint waited between the loop's publish and the consumer's read. */
export type ExampleLoopResult = CadenceSnapshot & { handoff_p50_us: number; handoff_p99_us: number };

export async function startExampleLoop(o: { rate_hz: number; rt_priority: number | null; cadence_window_s: number; isolation?: boolean; cpu?: number | 'auto' | null }): Promise<{
  loop: Loop;
  /** Stops the loop, the state feed and the consumer; resolves with the final cadence. */
  stop(): Promise<ExampleLoopResult | null>;
}> {
  const shared = createLoopShared(JOINTS);
  const state = new StateWriter(shared);
  const feed = () =>
    state.write(Object.fromEntries(JOINTS.map((j) => [j, { position_rad: j === 'gripper' ? 0.5 : 0, velocity_radps: 0 }])), { x_m: 0, y_m: 0, heading_rad: 0 });
  feed();
  const feeder = setInterval(feed, 5);
  const loop = await startLoop({
    rate_hz: o.rate_hz,
    rt_priority: o.rt_priority,
    tickModule: new URL('../host/executor/example-tick.ts', import.meta.url),
    shared,
    envelope: REFERENCE_ENVELOPE,
    tick_options: { controller: 'sine', params: { joint: 'shoulder', center_rad: 0, amplitude_rad: 0.2, frequency_hz: 0.5 } },
    stats_every_s: 1,
    cadence_window_s: o.cadence_window_s,
    isolation: o.isolation ?? false,
    cpu: o.cpu ?? null,
  });
  const reader = new SetpointReader(shared);
  let consuming = true;
  // Over the last cadence window, as the cadence figures are.
  const handoff_us = new Float64Array(Math.max(1, Math.round(o.cadence_window_s * o.rate_hz)));
  let handoffs = 0;
  const consumer = (async () => {
    let seq = 0;
    while (consuming) {
      // With two busy processes a 2 s wait once timed out while the loop ran (bench 6, cause not found) and the
      // rejection ended the whole bench: wait on; a gap shows in the cadence (missed ticks) or the handoff figures.
      const s = await reader.next(seq, 2000).catch((e: Error) => {
        if (consuming) return null;
        throw e;
      });
      if (!s) continue;
      handoff_us[handoffs++ % handoff_us.length] = (monoNow_ns() - s.stamp_ns) / 1000;
      seq = s.seq;
    }
  })();
  consumer.catch(() => undefined); // its last wait may time out once the loop has stopped (stop() awaits it)
  return {
    loop,
    async stop() {
      consuming = false;
      const final = await loop.stop();
      clearInterval(feeder);
      await consumer.catch(() => undefined); // its last wait may time out once the loop has stopped
      const h = Array.from(handoff_us.subarray(0, Math.min(handoffs, handoff_us.length)));
      return final && { ...final, handoff_p50_us: percentile(h, 50), handoff_p99_us: percentile(h, 99) };
    },
  };
}
