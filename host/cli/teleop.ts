// `ganglion teleop --source leader|keyboard`: teleoperate the emulated robot through the safety envelope, from the leader device (calibrated, or driven by the scripted person) or the terminal keys.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CALIBRATION_DIR } from '../calibration/file.ts';
import { startSimRobot } from '../runtime/sim-robot.ts';
import { referenceGeometry } from '../skills/reference-robot.ts';
const REFERENCE_GEOMETRY = referenceGeometry();
import { TeleopDriver } from '../teleop/driver.ts';
import { KEY_BINDINGS, KeyboardSource } from '../teleop/keyboard.ts';
import { calibrationFromSweep, leaderCalibrationPath, loadLeaderCalibration, writeLeaderCalibration } from '../teleop/leader-calibration.ts';
import { LeaderSource } from '../teleop/leader.ts';
import { applyToLeader, ScriptedOperator, scriptedSweep } from '../teleop/scripted-operator.ts';
import { followerOf, SourceTeleoperator } from '../teleop/source-teleoperator.ts';
import { seededRandom } from '../world/world.ts';

const HELP = `usage: ganglion teleop --source leader|keyboard [options]

Boots the emulated robot (the firmware .hex in avr8js) and drives it by hand, through the same safety
envelope as every skill. Holding the deadman (the leader's button, or a held key) drives; letting go
holds the robot where it is. Taking over cancels a running skill at the next tick.

  --source leader       the leader device: its pots mirror the arm's shoulder and elbow; hold its
                        button to drive, tap it to open/close the gripper
    --calibrate         sweep each pot end to end first and store calibration/<robot>-leader.json
    --scripted N        in the emulator nobody can turn the pots: a scripted person (seeded, with
                        reaction delay, hesitation and tremor) does N reach episodes (default 3)
    --seed N            the scripted person's seed (default 1)
  --source keyboard     raw terminal keys (works over SSH): w/s/a/d or arrows drive the base,
                        i/k shoulder, j/l elbow, g gripper, 1-5 speed, space let go, q quit
  --seconds S           stop after S seconds (default: until q / Ctrl-C, or the scripted episodes end)
  --calibration-dir DIR where the leader calibration lives (default ${CALIBRATION_DIR})
`;

type Out = (s: string) => void;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const POTS = { shoulder: 'pot_shoulder', elbow: 'pot_elbow' };
const ANALOG = { shoulder: 0, elbow: 1 };
const GRIPPER = { joint: 'gripper', open_rad: REFERENCE_GEOMETRY.gripper_open_rad, closed_rad: REFERENCE_GEOMETRY.gripper_closed_rad };

export async function teleopMain(argv: string[], out: Out = (s) => process.stdout.write(s), err: Out = (s) => process.stderr.write(s)): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv, strict: true,
      options: { source: { type: 'string' }, calibrate: { type: 'boolean' }, scripted: { type: 'string' }, seed: { type: 'string' }, seconds: { type: 'string' }, 'calibration-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }).values;
  } catch (e) {
    err(`ganglion teleop: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (v.help) {
    out(HELP);
    return 0;
  }
  if (v.source !== 'leader' && v.source !== 'keyboard') {
    err(`ganglion teleop: --source leader or --source keyboard (got ${v.source ?? 'nothing'})\n\n${HELP}`);
    return 2;
  }
  if (v.source === 'keyboard' && !process.stdin.isTTY) throw new Error('--source keyboard needs a terminal on stdin (ssh -t gives one over SSH)');
  const seconds = v.seconds === undefined ? Infinity : Number(v.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds ${v.seconds}: expected a number > 0`);
  const episodes = v.scripted === undefined ? 0 : Number(v.scripted || 3);
  if (!Number.isInteger(episodes) || episodes < 0) throw new Error(`--scripted ${v.scripted}: expected a whole number of episodes`);
  const sim = await startSimRobot({ firmware: 'avr', watchdog_ms: 500 });
  const notice = (s: string) => err(`${s}\n`);
  let quit = false;
  process.once('SIGINT', () => (quit = true));
  try {
    const follower = followerOf(sim.runtime);
    let op: SourceTeleoperator;
    let leader = null as null | { plant: NonNullable<typeof sim.emulated> extends Map<string, infer W> ? W : never };
    if (v.source === 'leader') {
      const session = sim.sessions.get('leader');
      if (!session) throw new Error('this robot has no node "leader"');
      const plant = sim.emulated!.get('leader')!;
      leader = { plant };
      const file = leaderCalibrationPath(v['calibration-dir'] ?? CALIBRATION_DIR, sim.runtime.robotId);
      if (v.calibrate) {
        out('calibrating the leader: sweep each pot end to end (the scripted person does it in the emulator)\n');
        const range: [number, number] = [REFERENCE_GEOMETRY.shoulder_min_rad, REFERENCE_GEOMETRY.shoulder_max_rad];
        const seen = await scriptedSweep(plant, POTS, () => session.mcuState?.analog ?? [], ANALOG, range);
        writeLeaderCalibration(file, calibrationFromSweep(sim.runtime.robotId, 'leader', 0, Object.fromEntries(Object.entries(seen).map(([j, counts]) => [j, { analog: ANALOG[j as keyof typeof ANALOG], counts, joint_range_rad: range }]))));
        out(`wrote ${path.relative(process.cwd(), file) || file}\n`);
      }
      const source = new LeaderSource({ device: () => session.mcuState, calibration: loadLeaderCalibration(file), gripper: GRIPPER });
      op = new SourceTeleoperator(source, { follower, onError: (e) => notice(e.message) });
    } else {
      const kb = new KeyboardSource({ gripper: GRIPPER, onQuit: () => (quit = true) });
      const stdin = process.stdin;
      op = new SourceTeleoperator(kb, {
        follower, onError: (e) => notice(e.message),
        connect: async () => {
          stdin.setRawMode(true);
          stdin.setEncoding('utf8');
          stdin.on('data', (d: string) => kb.feed(d, performance.now()));
          stdin.resume();
        },
        disconnect: async () => {
          stdin.setRawMode(false);
          stdin.pause();
        },
      });
      out(`keys: ${Object.entries(KEY_BINDINGS).filter(([k]) => k.length === 1).map(([k, b]) => `${k} ${b.label}`).join(', ')}; g gripper, 1-5 speed, space let go, q quit\n`);
    }
    const driver = new TeleopDriver(sim.runtime, op, (e) => notice(`teleop refused: ${e.message}`));
    await driver.start(100);
    const t0 = performance.now();
    if (leader && episodes > 0) {
      const rand = seededRandom(Number(v.seed ?? 1));
      for (let ep = 0; ep < episodes && !quit; ep++) {
        const q = follower().joints_rad;
        const goal = { shoulder: -1 + 2 * rand(), elbow: -1 + 2 * rand() };
        const person = new ScriptedOperator({ seed: Number(v.seed ?? 1) * 1000 + ep, goal_rad: goal, start_knob_rad: { shoulder: q.shoulder!, elbow: q.elbow! }, tolerance_rad: 0.03 });
        const e0 = performance.now();
        let last = e0;
        let pressed = false;
        let done = false;
        while (!done && !quit && performance.now() - e0 < 30000) {
          const now = performance.now();
          const o = person.step((now - e0) / 1000, (now - last) / 1000, follower().joints_rad);
          last = now;
          pressed = await applyToLeader(leader.plant, POTS, 'button', o, pressed);
          done = o.done;
          await sleep(10);
        }
        const f = follower().joints_rad;
        out(`episode ${ep + 1}/${episodes}: goal shoulder ${goal.shoulder.toFixed(3)} elbow ${goal.elbow.toFixed(3)} rad, reached ${f.shoulder!.toFixed(3)} ${f.elbow!.toFixed(3)} in ${((performance.now() - e0) / 1000).toFixed(1)} s${done ? '' : ' (timed out)'}\n`);
        await sleep(500);
      }
    } else {
      while (!quit && performance.now() - t0 < seconds * 1000) await sleep(50);
    }
    await driver.stop();
    out(`teleop ended; ${sim.runtime.lastCadence}\n`);
    return 0;
  } finally {
    await sim.stop();
  }
}

/** The CLI dispatcher's entry point (host/cli/main.ts loads `main`). */
export const main = (argv: string[]) => teleopMain(argv);
