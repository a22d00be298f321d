// Skill packages load inside the executor's loop worker before its timer starts (the timer blocks the thread).
import t from 'tap';
import { BroadcastChannel } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { REFERENCE_ENVELOPE } from '../../host/executor/envelope-config.ts';
import { startLoop } from '../../host/executor/loop.ts';
import { createLoopShared, StateWriter } from '../../host/executor/shared.ts';
import type { SkillChannelMessage, SkillPackagesMessage } from '../../host/skills/status.ts';

t.test('a package skill is selectable in the loop worker; broken packages are reported', async (t) => {
  const names = REFERENCE_ENVELOPE.joints.map((j) => j.name);
  const shared = createLoopShared(names);
  const state = new StateWriter(shared);
  const write = () => state.write(Object.fromEntries(names.map((n) => [n, { position_rad: 0, velocity_radps: 0 }])), { x_m: 0, y_m: 0, heading_rad: 0 });
  write();
  const feeder = setInterval(write, 5);
  const channelName = `test.packages.${process.pid}`;
  const channel = new BroadcastChannel(channelName);
  const report = new Promise<SkillPackagesMessage>((resolve) => {
    channel.onmessage = (e) => {
      const m = (e as { data: unknown }).data as SkillChannelMessage;
      if ('type' in m && m.type === 'skill_packages') resolve(m);
    };
  });
  const packages_dir = fileURLToPath(new URL('./fixtures/packages', import.meta.url));
  const loop = await startLoop({ rate_hz: 100, tickModule: new URL('../../host/skills/skill-tick.ts', import.meta.url), shared, envelope: REFERENCE_ENVELOPE, tick_options: { status_channel: channelName, packages_dir } });
  t.teardown(async () => {
    clearInterval(feeder);
    channel.close();
    await loop.stop();
  });
  const r = await report;
  t.ok(r.loaded.some((x) => JSON.stringify(x).includes('wave')), 'the good package loaded in the worker');
  t.ok(r.errors.length >= 4, `broken packages reported (${r.errors.length})`);
  const ack = await loop.selectController('skill', { name: 'wave', args: { times: 2 }, request_id: 'w1' });
  t.ok(ack.ok, `the package's skill starts in the loop: ${ack.error ?? ''}`);
});
