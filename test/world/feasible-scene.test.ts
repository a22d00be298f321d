// Scenes are always feasible: seed 9 around a pose near the corner puts block b2 outside the workspace, and is redrawn.
import t from 'tap';
import { feasibleSceneAround, infeasibility } from '../../host/world/feasible-scene.ts';
import { sceneAround } from '../../host/world/scene-around.ts';
import { inWorkspace } from '../../host/skills/builtin/common.ts';
import { driveStop } from '../../host/skills/builtin/base.ts';
import { referenceGeometry } from '../../host/skills/reference-robot.ts';
const REFERENCE_GEOMETRY = referenceGeometry();
import { seededRandom } from '../../host/world/world.ts';

const CORNER = { x_m: -1, y_m: -1, heading_rad: -0.5 };

t.test('seed 9 re-expressed near a corner is infeasible (b2 outside), and a feasible draw replaces it', async (t) => {
  const bad = sceneAround(CORNER, 9);
  t.match(infeasibility(bad), /^block b2: \(-2\.02, -0\.77\) m is outside the base workspace/, 'the scene of the issue: b2 out of the box');
  const d = feasibleSceneAround(CORNER, 9);
  t.ok(d.seed !== 9 || d.turn_rad !== 0, `another draw was kept (seed ${d.seed}, turned ${d.turn_rad.toFixed(2)} rad)`);
  t.same(d.dropped[0], { seed: 9, turn_rad: 0, reason: infeasibility(bad) }, 'and the dropped one is reported with its reason');
  t.equal(infeasibility(d.world), null);
  t.same(d.world.base, CORNER, 'the new scene still starts where the robot is');
});

t.test('from any pose in the workspace, every stop drive_to makes in the drawn scene is one its affordance accepts', async (t) => {
  const rand = seededRandom(42);
  const ws = REFERENCE_GEOMETRY.workspace;
  let redrawn = 0;
  for (let i = 0; i < 300; i++) {
    const pose = { x_m: ws.x_min_m + 0.05 + (ws.x_max_m - ws.x_min_m - 0.1) * rand(), y_m: ws.y_min_m + 0.05 + (ws.y_max_m - ws.y_min_m - 0.1) * rand(), heading_rad: Math.PI * (2 * rand() - 1) };
    const d = feasibleSceneAround(pose, 1 + i);
    if (d.dropped.length) redrawn++;
    // The task's path: base -> each block (standoff 0.24) -> the bin (standoff 0.24) -> the next block...
    let base: { x_m: number; y_m: number } = d.world.base;
    for (const b of d.world.blocks) {
      for (const target of [b, d.world.bin]) {
        const stop = driveStop(base, target, 0.24);
        if (inWorkspace(REFERENCE_GEOMETRY, stop).value !== 1) t.fail(`pose ${JSON.stringify(pose)} seed ${d.seed}: a stop at ${JSON.stringify(stop)} is refused`);
        base = stop;
      }
    }
  }
  t.ok(redrawn > 0, `some of the 300 poses needed a redraw (${redrawn})`);
  t.pass('every stop of every drawn scene is inside the workspace');
});

t.test('a pose with no room at all is a clear error, not an endless draw', async (t) => {
  t.throws(() => feasibleSceneAround({ x_m: 5, y_m: 5, heading_rad: 0 }, 1, REFERENCE_GEOMETRY, 20), /no feasible scene around \(5\.00, 5\.00\) m in 20 draws from seed 1: the robot: .*drive the robot back toward the middle/);
});
