// Skill packages load inside the executor's loop worker before its timer starts (the timer blocks the thread).
import t from 'tap';
import { fileURLToPath } from 'node:url';
import type { SkillPackagesMessage } from '../../host/skills/status.ts';
import { startSkillLoop } from './helpers/skill-loop.ts';

t.test('a package skill is selectable in the loop worker; broken packages are reported', async (t) => {
  let resolveReport: (m: SkillPackagesMessage) => void = () => {};
  const report = new Promise<SkillPackagesMessage>((resolve) => (resolveReport = resolve));
  const packages_dir = fileURLToPath(new URL('./fixtures/packages', import.meta.url));
  const { loop, stop } = await startSkillLoop('packages', (m) => {
    if ('type' in m && m.type === 'skill_packages') resolveReport(m);
  }, { packages_dir });
  t.teardown(stop);
  const r = await report;
  t.ok(r.loaded.some((x) => JSON.stringify(x).includes('wave')), 'the good package loaded in the worker');
  t.ok(r.errors.length >= 4, `broken packages reported (${r.errors.length})`);
  const ack = await loop.selectController('skill', { name: 'wave', args: { times: 2 }, request_id: 'w1' });
  t.ok(ack.ok, `the package's skill starts in the loop: ${ack.error ?? ''}`);
});
