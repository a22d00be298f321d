// The task demo's policy: a failed task gets a new scene and a growing, capped wait; a success resets it; the score counts what it says.
import t from 'tap';
import { emptyScore, scoreLine, TaskPolicy } from '../../host/demos/task-policy.ts';

t.test('a failed task is never retried at once on the same scene: new scene, backoff to a cap; a success resets it', async (t) => {
  const p = new TaskPolicy({ initial_ms: 2000, max_ms: 60_000 });
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    const n = p.after('failed', 2);
    t.equal(n.new_scene, true, `failure ${i + 1}: a new scene`);
    waits.push(n.wait_ms);
  }
  t.same(waits, [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  t.equal(p.after('stopped', 3).new_scene, true, 'a stopped task is a failure too');
  t.same(p.after('done', 1), { new_scene: false, wait_ms: 0 }, 'a success with blocks left: same scene, no wait');
  t.same(p.after('done', 0), { new_scene: true, wait_ms: 0 }, 'all placed: a new scene');
  t.equal(p.after('failed', 1).wait_ms, 2000, 'the backoff started over');
  // The livelock of the issue: 67,092 tasks in 15 min. With the policy, failures in 15 minutes are at most:
  const q = new TaskPolicy();
  let elapsed_ms = 0;
  let tasks = 0;
  while (elapsed_ms < 15 * 60_000) {
    elapsed_ms += q.after('failed', 2).wait_ms;
    tasks++;
  }
  t.ok(tasks <= 20, `an always-failing task runs at most ${tasks} times in 15 minutes`);
});

t.test('the score line counts each block once, in its scene, and tasks by outcome', async (t) => {
  const s = emptyScore();
  // Scene 1: 3 blocks; a task places 2 and fails; a new scene of 2 blocks; a task places both.
  s.scenes++; s.blocks += 3;
  s.tasks++; s.failed++; s.placed += 2;
  s.scenes++; s.blocks += 2;
  s.tasks++; s.done++; s.placed += 2;
  t.equal(scoreLine(s), '4/5 blocks in the bin over 2 scene(s); 2 task(s): 1 done, 1 failed');
});
