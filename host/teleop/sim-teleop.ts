// Teleop on the emulated robot, shared by `ganglion teleop` and `ganglion record --teleop`: the leader (calibrated, or swept by the scripted person) or the terminal keys behind a TeleopDriver, seeded reach goals, and one scripted-person reach episode on the emulated leader's pots.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { SimRobot } from '../runtime/sim-robot.ts';
import { inverseArm, randomReachPoint, worldToBase, type Point2, type Pose2 } from '../skills/arm.ts';
import type { RobotGeometry } from '../skills/geometry.ts';
import { TeleopDriver } from './driver.ts';
import { KeyboardSource } from './keyboard.ts';
import { calibrationFromSweep, leaderCalibrationPath, loadLeaderCalibration, writeLeaderCalibration } from './leader-calibration.ts';
import { LeaderSource } from './leader.ts';
import { applyToLeader, ScriptedOperator, scriptedSweep, type LeaderPlant } from './scripted-operator.ts';
import { followerOf, SourceTeleoperator } from './source-teleoperator.ts';
import type { FollowerView } from './source.ts';

/** The reference leader's wiring: which emulated pot and which status.analog index mirror which follower joint. */
export const LEADER_POTS = { shoulder: 'pot_shoulder', elbow: 'pot_elbow' } as const;
export const LEADER_ANALOG = { shoulder: 0, elbow: 1 } as const;
const LEADER_BUTTON = 'button';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SimTeleop {
  driver: TeleopDriver;
  /** The emulated leader's pots and button (leader source on the avr firmware), for the scripted person. */
  leader: LeaderPlant | null;
  /** The keyboard source (keyboard only): feed it the terminal's raw bytes. */
  keyboard: KeyboardSource | null;
  follower: () => FollowerView;
}

export interface SimTeleopOptions {
  source: 'leader' | 'keyboard';
  geometry: RobotGeometry;
  calibration_dir: string;
  /** Sweep the leader's pots (the scripted person does it) and write the calibration: always, or only when there is none. */
  calibrate: 'always' | 'if-missing' | 'never';
  /** A refused reading or command, said once (the robot holds meanwhile). */
  notice: (text: string) => void;
  say: (text: string) => void;
  /** The keyboard's q / Esc. */
  onQuit?: () => void;
  /** [Hz] how often the driver reads the source (default 100). */
  rate_hz?: number;
  /** [ms] no frame from the leader this long counts as unplugged (default 300; a loaded emulator wants the watchdog's window). */
  stale_ms?: number;
}

/** Opens the source on the emulated robot and starts its driver; the caller stops it with `driver.stop()`. */
export async function openSimTeleop(sim: SimRobot, o: SimTeleopOptions): Promise<SimTeleop> {
  const follower = followerOf(sim.runtime);
  const gripper = { joint: 'gripper', open_rad: o.geometry.gripper_open_rad, closed_rad: o.geometry.gripper_closed_rad };
  let op: SourceTeleoperator;
  let leader: LeaderPlant | null = null;
  let keyboard: KeyboardSource | null = null;
  if (o.source === 'leader') {
    const session = sim.sessions.get('leader');
    const plant = sim.emulated?.get('leader');
    if (!session) throw new Error(`robot "${sim.runtime.robotId}" has no node "leader": --teleop leader needs a robot file with a leader node`);
    if (!plant) throw new Error('the leader source in the emulator needs the avr firmware (the posix build has no pots)');
    leader = plant;
    const file = leaderCalibrationPath(o.calibration_dir, sim.runtime.robotId);
    if (o.calibrate === 'always' || (o.calibrate === 'if-missing' && !existsSync(file))) {
      o.say('calibrating the leader: each pot swept end to end (the scripted person does it in the emulator)');
      const range: [number, number] = [o.geometry.shoulder_min_rad, o.geometry.shoulder_max_rad];
      const seen = await scriptedSweep(plant, LEADER_POTS, () => session.mcuState?.analog ?? [], LEADER_ANALOG, range);
      const sweeps = Object.fromEntries(Object.entries(seen).map(([j, counts]) => [j, { analog: LEADER_ANALOG[j as keyof typeof LEADER_ANALOG], counts, joint_range_rad: range }]));
      writeLeaderCalibration(file, calibrationFromSweep(sim.runtime.robotId, 'leader', 0, sweeps));
      o.say(`wrote ${path.relative(process.cwd(), file) || file}`);
    }
    const source = new LeaderSource({ device: () => session.mcuState, calibration: loadLeaderCalibration(file), gripper, ...(o.stale_ms ? { stale_ms: o.stale_ms } : {}) });
    op = new SourceTeleoperator(source, { follower, onError: (e) => o.notice(e.message) });
  } else {
    keyboard = new KeyboardSource({ gripper, ...(o.onQuit ? { onQuit: o.onQuit } : {}) });
    op = new SourceTeleoperator(keyboard, { follower, onError: (e) => o.notice(e.message) });
  }
  const driver = new TeleopDriver(sim.runtime, op, (e) => o.notice(`teleop refused: ${e.message}`));
  await driver.start(o.rate_hz ?? 100);
  return { driver, leader, keyboard, follower };
}

export interface ReachGoal {
  /** [m] world frame. */
  point: Point2;
  /** [rad] the joint angles that put the tip there (what a person at a replica leader turns the knobs to). */
  joints_rad: { shoulder: number; elbow: number };
}

/** A reach goal the arm can reach from `base`, drawn with `rand` (a seeded scene), with the IK nearest the arm's pose now. */
export function drawReachGoal(g: RobotGeometry, base: Pose2, arm: { shoulder_rad: number; elbow_rad: number }, rand: () => number): ReachGoal {
  for (let i = 0; i < 100; i++) {
    const point = randomReachPoint(g, base, rand);
    if (!point) break;
    const ik = inverseArm(g, worldToBase(base, point), arm);
    // Knobs stop at the joints' soft limits: keep goals a little inside them.
    if (ik.ok && Math.abs(ik.shoulder_rad) < 1.4 && Math.abs(ik.elbow_rad) < 1.4) return { point, joints_rad: { shoulder: ik.shoulder_rad, elbow: ik.elbow_rad } };
  }
  throw new Error('no reachable reach goal found from the base pose: check the robot geometry');
}

export interface ScriptedReachOptions {
  seed: number;
  /** [rad] done when the follower is this close on every joint (default 0.01). */
  tolerance_rad?: number;
  timeout_ms: number;
  /** Checked every step: true ends the episode early (a key, the schedule). */
  stopped?: () => boolean;
}

/**
 * One reach by the scripted person at the emulated leader: turns the pots (through the firmware's ADC) and holds the
 * button until the follower is on the goal, then lets go. Resolves whether they got there, and how long it took.
 */
export async function scriptedReach(plant: LeaderPlant, follower: () => FollowerView, goal: ReachGoal, o: ScriptedReachOptions): Promise<{ done: boolean; elapsed_s: number }> {
  const q = follower().joints_rad;
  const person = new ScriptedOperator({
    seed: o.seed,
    goal_rad: goal.joints_rad,
    start_knob_rad: { shoulder: q.shoulder!, elbow: q.elbow! },
    tolerance_rad: o.tolerance_rad ?? 0.01,
  });
  const t0 = performance.now();
  let last = t0;
  let pressed = false;
  let done = false;
  try {
    while (!done && !o.stopped?.() && performance.now() - t0 < o.timeout_ms) {
      const now = performance.now();
      const out = person.step((now - t0) / 1000, (now - last) / 1000, follower().joints_rad);
      last = now;
      pressed = await applyToLeader(plant, LEADER_POTS, LEADER_BUTTON, out, pressed);
      done = out.done;
      await sleep(10);
    }
  } finally {
    if (pressed) await plant.releaseButton(LEADER_BUTTON);
  }
  return { done, elapsed_s: (performance.now() - t0) / 1000 };
}
