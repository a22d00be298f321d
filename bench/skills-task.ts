// Task success of the scripted pick-and-place over 100 seeded random scenes on the kinematic robot, beside a no-recovery variant of the same script.
import { pickAndPlace, type PickPlaceOptions, type TaskResult } from '../host/world/kinematic/pick-place.ts';
import { randomScene } from '../host/world/world.ts';
import type { Figure } from './report.ts';

const SCENES = 100;
const NOISE_M = 0.01;

function sweep(o: PickPlaceOptions): { success: number; blocks: number; placed: number; mean_time_s: number } {
  let success = 0;
  let blocks = 0;
  let placed = 0;
  let time = 0;
  for (let seed = 1; seed <= SCENES; seed++) {
    const r: TaskResult = pickAndPlace(randomScene(seed), { ...o, noise_seed: seed });
    if (r.success) success++;
    blocks += r.total;
    placed += r.placed;
    time += r.time_s;
  }
  return { success, blocks, placed, mean_time_s: time / SCENES };
}

export async function run(): Promise<Figure[]> {
  // Grounded: nearest block first, a failed grasp (its failure predicate) triggers a re-approach.
  // Baseline: the same skills in scene order with no recovery: what the predicates and retries buy.
  const grounded = { order: 'nearest', retries: 1 } as const;
  const blind = { order: 'listed', retries: 0 } as const;
  const g0 = sweep(grounded);
  const b0 = sweep(blind);
  const gN = sweep({ ...grounded, noise_m: NOISE_M });
  const bN = sweep({ ...blind, noise_m: NOISE_M });
  const pct = (n: number) => (100 * n) / SCENES;
  return [
    {
      name: `pick-and-place task success, ${SCENES} random scenes (2-4 blocks -> bin), exact perception`,
      value: pct(g0.success),
      unit: '%',
      baseline: { label: 'same script, scene order, no recovery', value: pct(b0.success) },
      note: `${g0.placed}/${g0.blocks} blocks placed (baseline ${b0.placed}/${b0.blocks})`,
    },
    {
      name: `pick-and-place task success, perception noise ${NOISE_M * 1000} mm (per axis, per frame)`,
      value: pct(gN.success),
      unit: '%',
      baseline: { label: 'same script, scene order, no recovery', value: pct(bN.success) },
      note: `${gN.placed}/${gN.blocks} blocks placed (baseline ${bN.placed}/${bN.blocks})`,
    },
    {
      name: 'mean task time, exact perception (simulated seconds, 100 Hz control)',
      value: g0.mean_time_s,
      unit: 's',
      baseline: { label: 'scene order, no recovery', value: b0.mean_time_s },
    },
    {
      name: `mean task time, ${NOISE_M * 1000} mm perception noise (simulated seconds)`,
      value: gN.mean_time_s,
      unit: 's',
      baseline: { label: 'scene order, no recovery', value: bN.mean_time_s },
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printSection } = await import('./report.ts');
  printSection('Skills: scripted pick-and-place on the kinematic robot', await run());
}
