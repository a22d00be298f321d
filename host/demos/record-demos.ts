// Records demonstrations for behaviour cloning: the scripted `reach` skill on the kinematic robot over seeded random reach tasks, observation -> the scripted action.
import { KinematicRobot } from '../world/kinematic/robot.ts';
import { seededRandom, type Scene } from '../world/world.ts';
import { randomReachPoint, wrapAngle, type Point2 } from '../skills/arm.ts';
import { reach } from '../skills/builtin/arm-skills.ts';
import type { SkillContext } from '../skills/contract.ts';
import { INITIAL_TUNING } from '../skills/corrections.ts';
import type { RobotGeometry } from '../skills/geometry.ts';
import { referenceGeometry } from '../skills/reference-robot.ts';
import { encodeAction, REACH_ACTION, REACH_OBSERVATION, readObservation, type ActionFeature, type ObservationFeature } from '../skills/policy/features.ts';
import { createRegistry } from '../skills/registry.ts';
import { SkillRunner } from '../skills/runner.ts';
import type { DemoEpisode, DemoSet } from './record-file.ts';

/** What the shipped reach policy reads and outputs (see docs/policy.md for why these); defined beside the catalogue. */
export { REACH_ACTION, REACH_OBSERVATION } from '../skills/policy/features.ts';

export interface ReachTask {
  seed: number;
  scene: Scene;
  /** World frame; always reachable (IK succeeds) from the scene's base pose. */
  target: Point2;
}

/** Keeps targets a little inside the reach ring, where IK and the done tolerance do not fight the ring's edge. */
const RING_MARGIN_M = 0.004;
/** Start poses stay inside the joints' soft limits (+-1.5 rad) with room to move. */
const START_JOINT_RAD = 1.3;

/**
 * A seeded reach task: the base anywhere in the middle of the workspace with any heading, the arm in a
 * random pose, and a target anywhere the arm can reach from there (no blocks: reaching needs none).
 */
export function reachTask(seed: number, g: RobotGeometry = referenceGeometry()): ReachTask {
  const rand = seededRandom(seed * 7919 + 17);
  const u = (lo: number, hi: number) => lo + (hi - lo) * rand();
  const base = { x_m: u(-1, 1), y_m: u(-1, 1), heading_rad: wrapAngle(u(-Math.PI, Math.PI)) };
  const target = randomReachPoint(g, base, rand, RING_MARGIN_M);
  if (target) {
    const arm = { shoulder_rad: u(-START_JOINT_RAD, START_JOINT_RAD), elbow_rad: u(-START_JOINT_RAD, START_JOINT_RAD), gripper_rad: 0 };
    const bin = { id: 'bin', label: 'bin', x_m: base.x_m + 1, y_m: base.y_m, radius_m: 0.08 };
    return { seed, scene: { base, arm, blocks: [], bin }, target };
  }
  throw new Error(`reachTask(${seed}): no reachable target found`);
}

export interface RecordOptions {
  observation?: readonly ObservationFeature[];
  action?: readonly ActionFeature[];
  rate_hz?: number;
  /** Ticks recorded after the scripted skill is done, so the data holds the at-rest state (action ~ 0). */
  settle_ticks?: number;
  /**
   * Gaussian noise [rad] added to the executed arm setpoints but not to the recorded labels (DART): the
   * robot drifts off the teacher's path and the data shows how the teacher recovers.
   */
  action_noise_rad?: number;
}

/** Runs the scripted reach on one task and returns every tick's (observation, action) pair. */
export function recordEpisode(task: ReachTask, o: RecordOptions = {}): DemoEpisode {
  const observation = o.observation ?? REACH_OBSERVATION;
  const action = o.action ?? REACH_ACTION;
  const robot = new KinematicRobot({ scene: task.scene, rate_hz: o.rate_hz ?? 100 });
  // The runner only keeps the observation in sync with the state snapshot; the teacher is stepped directly
  // so it can keep running past `done` for the settle ticks.
  const runner = new SkillRunner({ registry: createRegistry({ builtins: false }), joints: robot.joints, rate_hz: robot.rate_hz, geometry: robot.geometry });
  runner.sync(robot.state());
  const ctx: SkillContext & { elapsed_s: number } = { period_s: robot.period_s, elapsed_s: 0, obs: runner.obs, geometry: robot.geometry, tuning: { ...INITIAL_TUNING } };
  const args = reach.args.parse(task.target);
  const aff = reach.affordance(runner.obs, args, robot.geometry);
  if (!(aff.value > 0)) throw new Error(`reach task ${task.seed}: the teacher refuses it: ${aff.reason}`);
  const params = reach.start(args, ctx);
  const noise = o.action_noise_rad ?? 0;
  const rand = seededRandom(task.seed ^ 0x5eed);
  const gauss = () => noise * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const maxTicks = Math.ceil(reach.timeout_s(args, runner.obs, robot.geometry) * robot.rate_hz);
  const settle = o.settle_ticks ?? 30;
  const ep: DemoEpisode = { seed: task.seed, target: task.target, obs: [], act: [], done: false };
  const x = new Float32Array(observation.length);
  let doneFor = 0;
  for (let tick = 0; tick < maxTicks && doneFor <= settle; tick++) {
    const state = robot.state();
    runner.sync(state);
    ctx.elapsed_s = tick * robot.period_s;
    if (tick > 0 && reach.done(params, ctx)) {
      ep.done = true;
      doneFor++;
    }
    const a = reach.step(state, params, ctx);
    ep.obs.push(Array.from(readObservation(observation, { obs: runner.obs, geometry: robot.geometry, target: task.target }, x)));
    ep.act.push(encodeAction(action, a, runner.obs));
    // Noise only while moving: at rest it would teach the net that a settled arm jitters.
    const pos = a.position_rad!;
    const executed = noise > 0 && !ep.done ? { ...a, position_rad: Object.fromEntries(Object.entries(pos).map(([j, v]) => [j, j === 'gripper' ? v : v + gauss()])) } : a;
    robot.step(executed);
  }
  return ep;
}

/** Demonstrations over the seeds [first, first + count): the dataset for one training run. */
export function recordDemos(first_seed: number, count: number, o: RecordOptions = {}): DemoSet {
  const episodes: DemoEpisode[] = [];
  for (let s = first_seed; s < first_seed + count; s++) episodes.push(recordEpisode(reachTask(s), o));
  return {
    header: {
      format: 'ganglion.demos/1',
      teacher: 'reach',
      rate_hz: o.rate_hz ?? 100,
      observation: [...(o.observation ?? REACH_OBSERVATION)],
      action: [...(o.action ?? REACH_ACTION)],
      action_noise_rad: o.action_noise_rad ?? 0,
    },
    episodes,
  };
}
