// The skill tick module inside the real executor loop worker: skills start by select, report status on the BroadcastChannel, refusals come back in the ack.
import t from 'tap';
import type { SkillStatus } from '../../host/skills/status.ts';
import { startSkillLoop } from './helpers/skill-loop.ts';

t.test('select skill / correction / cancel in the loop worker', async (t) => {
  const seen: SkillStatus[] = [];
  const waiters: ((s: SkillStatus) => void)[] = [];
  const next = (pred: (s: SkillStatus) => boolean) =>
    new Promise<SkillStatus>((resolve) => {
      const hit = seen.find(pred);
      if (hit) return resolve(hit);
      const w = (s: SkillStatus) => (pred(s) ? resolve(s) : waiters.push(w));
      waiters.push(w);
    });
  const { loop, stop } = await startSkillLoop('skills', (m) => {
    if (m.type !== 'skill_status') return;
    seen.push(m);
    waiters.splice(0).forEach((w) => w(m));
  });
  t.teardown(stop);

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
