// The task demo outlives a busy machine: a robot that will not come up pauses the rounds with a backoff, never ends them.
import t from 'tap';
import { taskRounds } from '../../host/demos/task.ts';
import { emptyScore } from '../../host/demos/task-policy.ts';
import { TabletopPerception } from '../../host/world/tabletop-perception.ts';
import { createWorld, randomScene } from '../../host/world/world.ts';
import { referenceGeometry } from '../../host/skills/reference-robot.ts';
import type { RobotRuntime } from '../../host/runtime/runtime.ts';
import type { McuSession } from '../../host/link/session.ts';
import type { Planner } from '../../host/planner/planner.ts';

/**
 * A stand-in robot (a test double, said so): only what taskRounds reads. The real stack runs this loop in
 * test/cli/run.test.ts; here the point is the recovery policy, which needs a link that never comes back.
 */
function rig(arm: () => Promise<void>) {
  const perception = new TabletopPerception(createWorld(randomScene(3)), { geometry: referenceGeometry(), wheels: { left: 'wheel_left', right: 'wheel_right' } });
  const rt = {
    perception,
    snapshot: () => ({ estop: { latched: false, reason: '' }, stalled: [] }),
    clearEstop: async () => {},
    arm,
  } as unknown as RobotRuntime;
  const sessions = new Map([['base', { stats: () => ({ armed: false, faults: ['DISARMED', 'WATCHDOG_TRIPPED'] }) } as unknown as McuSession]]);
  let tasks = 0;
  const planner = { run: async () => { tasks++; return { outcome: 'done', steps: [], plans: 0, llm_requests: 0, rejected_replies: 0, overhead_ms: [], message: '', model_message: null }; } } as unknown as Planner;
  return { rt, sessions, planner, tasks: () => tasks };
}

t.test('re-arms within the cap, then pauses (not ends) while the robot stays down; only the stop signal ends it', async (t) => {
  let arms = 0;
  const r = rig(async () => { arms++; });
  const lines: string[] = [];
  const stop = new AbortController();
  let ended = false;
  const rounds = taskRounds(r.rt, r.sessions, r.planner, stop.signal, emptyScore(), (l) => lines.push(l), 2).then(() => (ended = true));
  await new Promise((res) => setTimeout(res, 4000));
  t.equal(ended, false, `still running while the robot is down: ${lines.at(-1)}`);
  t.equal(arms, 2, 'two re-arms (the cap a minute), then no more');
  t.match(lines.join('\n'), /task paused 10 s: not armed: base \[DISARMED, WATCHDOG_TRIPPED\].*too busy/, 'says why it pauses and for how long');
  t.equal(r.tasks(), 0, 'no task starts on a robot that is down');
  stop.abort();
  await rounds;
  t.ok(ended, 'the stop signal ends it');
});

t.test('a re-arm that throws (link lost) is a failure with a backoff, not the end of the run', async (t) => {
  let arms = 0;
  const r = rig(async () => { arms++; throw new Error('link to emulator:base lost: no telemetry for 569 ms'); });
  const lines: string[] = [];
  const stop = new AbortController();
  let ended = false;
  const rounds = taskRounds(r.rt, r.sessions, r.planner, stop.signal, emptyScore(), (l) => lines.push(l), 30).then(() => (ended = true));
  await new Promise((res) => setTimeout(res, 2000));
  t.equal(ended, false, 'still running');
  t.equal(arms, 1, 'one try, then a wait');
  t.match(lines.join('\n'), /re-arm failed: link to emulator:base lost.*trying again later/);
  stop.abort();
  await rounds;
});

t.test('on real boards (no re-arm budget) it waits for a person, saying so once', async (t) => {
  let arms = 0;
  const r = rig(async () => { arms++; });
  const lines: string[] = [];
  const stop = new AbortController();
  const rounds = taskRounds(r.rt, r.sessions, r.planner, stop.signal, emptyScore(), (l) => lines.push(l), 0);
  await new Promise((res) => setTimeout(res, 2000));
  t.equal(arms, 0, 'never re-arms by itself');
  t.equal(lines.filter((l) => l.startsWith('task paused')).length, 1, 'one line, not one per poll');
  t.match(lines.join('\n'), /re-arm \(dashboard or cmd\/arm\) to go on/);
  stop.abort();
  await rounds;
});
