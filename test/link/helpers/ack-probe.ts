// Test and bench infrastructure: the lossy-link workload, 200 Hz PWM setpoints streamed while a command's ack time is probed every 20 ms.
import { CONSTANTS } from '../../../host/protocol/messages.ts';
import type { McuSession } from '../../../host/link/session.ts';

/** Streams setpoints at 200 Hz and sends one `set_servo` every 20 ms for duration_ms; resolves with each ack's time [ms] (a failed command counts its time to the failure). */
export async function probeAcks(s: McuSession, duration_ms: number): Promise<number[]> {
  const ack_ms: number[] = [];
  const end = performance.now() + duration_ms;
  let k = 0;
  const stream = setInterval(() => s.setMotors([CONSTANTS.MODE.PWM], [100 + (k++ % 200)]), 5);
  try {
    while (performance.now() < end) {
      const t0 = performance.now();
      await s.command('set_servo', { index: 0, pulse_us: 0 }).catch(() => undefined);
      ack_ms.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    clearInterval(stream);
  }
  return ack_ms;
}
