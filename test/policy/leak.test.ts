// Inference inside step() is synchronous and disposes every tensor it makes: over 1000 control ticks the tensor count and bytes stay flat.
import t from 'tap';
import * as tf from '@tensorflow/tfjs';
import { evalSeeds } from '../../host/demos/train-eval.ts';
import { reachTask } from '../../host/demos/record-demos.ts';
import { SkillHarness } from '../../host/world/kinematic/harness.ts';
import { REACH_POLICY_DIR } from '../../host/skills/policy/examples/reach.ts';
import { loadPolicySkill } from '../../host/skills/policy/skill.ts';
import { createRegistry } from '../../host/skills/registry.ts';

t.test('no tensor leaks over 1000 policy steps on the kinematic robot', async (t) => {
  const registry = createRegistry({ builtins: false });
  const skill = await loadPolicySkill(REACH_POLICY_DIR);
  registry.register(skill);
  // Count the policy's steps by wrapping step: the runner calls it once per tick while the skill runs.
  let steps = 0;
  const step = skill.step.bind(skill);
  (skill as { step: typeof skill.step }).step = (s, p, c) => (steps++, step(s, p, c));

  const before = tf.memory();
  const seen: number[] = [];
  for (let seed = 0; steps < 1000; seed++) {
    const task = reachTask(evalSeeds(1, 500 + seed)[0]!);
    const h = new SkillHarness({ scene: task.scene, registry });
    h.runner.start('reach_learned', task.target);
    // Keep ticking past done with fresh targets: every tick is one inference.
    while (h.runner.active && steps < 1000) h.tick();
    seen.push(tf.memory().numTensors);
  }
  t.ok(steps >= 1000, `${steps} inference steps`);
  const after = tf.memory();
  t.equal(after.numTensors, before.numTensors, `tensors: ${before.numTensors} before, ${after.numTensors} after`);
  t.equal(after.numBytes, before.numBytes, 'bytes held by tensors unchanged');
  t.ok(seen.every((n) => n === before.numTensors), `tensor count after each run: ${seen.join(', ')}`);
});
