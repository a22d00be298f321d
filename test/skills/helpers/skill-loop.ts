// Test helper: the skill tick in a real executor loop worker, with fresh state fed like telemetry and the status channel open.
import { BroadcastChannel } from 'node:worker_threads';
import { referenceEnvelope, referenceGeometry } from '../../../host/skills/reference-robot.ts';
import { startLoop, type Loop } from '../../../host/executor/loop.ts';
import { createLoopShared, StateWriter } from '../../../host/executor/shared.ts';
import type { SkillChannelMessage } from '../../../host/skills/status.ts';

const REFERENCE_ENVELOPE = referenceEnvelope();

/** Starts the loop; `onMessage` sees every status-channel message. Call `stop()` in the test's teardown. */
export async function startSkillLoop(
  name: string,
  onMessage: (m: SkillChannelMessage) => void,
  tick_options: Record<string, unknown> = {},
): Promise<{ loop: Loop; stop: () => Promise<void> }> {
  const names = REFERENCE_ENVELOPE.joints.map((j) => j.name);
  const shared = createLoopShared(names);
  const state = new StateWriter(shared);
  const write = () => state.write(Object.fromEntries(names.map((n) => [n, { position_rad: 0, velocity_radps: 0 }])), { x_m: 0, y_m: 0, heading_rad: 0 });
  write();
  // The envelope holds everything when the state goes stale, so keep it fresh like a telemetry producer would.
  const feeder = setInterval(write, 5);
  const status_channel = `test.${name}.${process.pid}`;
  const channel = new BroadcastChannel(status_channel);
  channel.onmessage = (e) => onMessage((e as { data: unknown }).data as SkillChannelMessage);
  const loop = await startLoop({
    rate_hz: 100, tickModule: new URL('../../../host/skills/skill-tick.ts', import.meta.url), shared, envelope: REFERENCE_ENVELOPE,
    tick_options: { status_channel, geometry: referenceGeometry(), ...tick_options },
  });
  return {
    loop,
    stop: async () => {
      clearInterval(feeder);
      channel.close();
      await loop.stop();
    },
  };
}
