// The skill tick module inside the real executor loop worker: skills start by select, report status on the BroadcastChannel, refusals come back in the ack.
import t from 'tap';
import { BroadcastChannel } from 'node:worker_threads';
import { REFERENCE_ENVELOPE } from '../../host/executor/envelope-config.ts';
import { startLoop } from '../../host/executor/loop.ts';
import { createLoopShared, StateWriter } from '../../host/executor/shared.ts';
import type { SkillChannelMessage, SkillStatus } from '../../host/skills/status.ts';

t.test('select skill / correction / cancel in the loop worker', async (t) => {
  const names = REFERENCE_ENVELOPE.joints.map((j) => j.name);
  const shared = createLoopShared(names);
  const state = new StateWriter(shared);
  const write = () => state.write(Object.fromEntries(names.map((n) => [n, { position_rad: 0, velocity_radps: 0 }])), { x_m: 0, y_m: 0, heading_rad: 0 });
  write();
  // The envelope holds everything when the state goes stale, so keep it fresh like a telemetry producer would.
  const feeder = setInterval(write, 5);
  const channelName = `test.skills.${process.pid}`;
  const channel = new BroadcastChannel(channelName);
  const seen: SkillStatus[] = [];
  const waiters: ((s: SkillStatus) => void)[] = [];
  channel.onmessage = (e) => {
    const m = (e as { data: unknown }).data as SkillChannelMessage;
    if (m.type !== 'skill_status') return;
    seen.push(m);
    waiters.splice(0).forEach((w) => w(m));
  };
  const next = (pred: (s: SkillStatus) => boolean) =>
    new Promise<SkillStatus>((resolve) => {
      const hit = seen.find(pred);
      if (hit) return resolve(hit);
      const w = (s: SkillStatus) => (pred(s) ? resolve(s) : waiters.push(w));
      waiters.push(w);
    });
  const loop = await startLoop({ rate_hz: 100, tickModule: new URL('../../host/skills/skill-tick.ts', import.meta.url), shared, envelope: REFERENCE_ENVELOPE, tick_options: { status_channel: channelName } });
  t.teardown(async () => {
    clearInterval(feeder);
    channel.close();
    await loop.stop();
  });

  const ok = await loop.selectController('skill', { name: 'wait', args: { seconds: 0.1 }, request_id: 'r1' });
  t.ok(ok.ok, ok.error ?? "accepted");
  t.match(await next((s) => s.request_id === 'r1' && s.state !== 'running'), { skill: 'wait', state: 'done', elapsed_s: 0.1 });

  const bad = await loop.selectController('skill', { name: 'drive_to', args: { x_m: 'over there', y_m: 0 } });
  t.equal(bad.ok, false);
  t.match(bad.error, /skill "drive_to": bad args: x_m/);

  t.ok((await loop.selectController('skill', { name: 'hold', args: {}, request_id: 'r2' })).ok);
  t.ok((await loop.selectController('correction', { phrase: 'a bit higher' })).ok);
  const unknown = await loop.selectController('correction', { phrase: 'do a barrel roll' });
  t.match(unknown.error, /unknown correction "do a barrel roll"; accepted forms/);
  t.ok((await loop.selectController('cancel')).ok);
  t.match(await next((s) => s.request_id === 'r2' && s.state !== 'running'), { skill: 'hold', state: 'cancelled' });
});
