// `ganglion teleop --source leader|keyboard`: teleoperate the emulated robot through the safety envelope, from the leader device (calibrated, or driven by the scripted person) or the terminal keys.
import { CALIBRATION_DIR } from '../calibration/file.ts';
import { startSimRobot } from '../runtime/sim-robot.ts';
import { referenceGeometry } from '../skills/reference-robot.ts';
import { KEY_BINDINGS } from '../teleop/keyboard.ts';
import { drawReachGoal, openSimTeleop, scriptedReach } from '../teleop/sim-teleop.ts';
import { seededRandom } from '../world/world.ts';
import { parseCommand, type Out } from './args.ts';

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function teleopMain(argv: string[], out: Out = (s) => process.stdout.write(s), err: Out = (s) => process.stderr.write(s)): Promise<number> {
  const parsed = parseCommand('teleop', HELP, argv, {
    source: { type: 'string' }, calibrate: { type: 'boolean' }, scripted: { type: 'string' }, seed: { type: 'string' }, seconds: { type: 'string' }, 'calibration-dir': { type: 'string' },
  }, { out, err });
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  if (v.source !== 'leader' && v.source !== 'keyboard') {
    err(`ganglion teleop: --source leader or --source keyboard (got ${v.source ?? 'nothing'})\n\n${HELP}`);
    return 2;
  }
  if (v.source === 'keyboard' && !process.stdin.isTTY) throw new Error('--source keyboard needs a terminal on stdin (ssh -t gives one over SSH)');
  const seconds = v.seconds === undefined ? Infinity : Number(v.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds ${v.seconds}: expected a number > 0`);
  const episodes = v.scripted === undefined ? 0 : Number(v.scripted || 3);
  if (!Number.isInteger(episodes) || episodes < 0) throw new Error(`--scripted ${v.scripted}: expected a whole number of episodes`);
  const seed = Number(v.seed ?? 1);
  if (!Number.isInteger(seed)) throw new Error(`--seed ${v.seed}: expected an integer`);
  const sim = await startSimRobot({ firmware: 'avr', watchdog_ms: 500 });
  let quit = false;
  process.once('SIGINT', () => (quit = true));
  try {
    const geometry = referenceGeometry();
    const stdin = process.stdin;
    const tp = await openSimTeleop(sim, {
      source: v.source, geometry, calibration_dir: v['calibration-dir'] ?? CALIBRATION_DIR,
      calibrate: v.calibrate ? 'always' : episodes > 0 ? 'if-missing' : 'never',
      notice: (s) => err(`${s}\n`), say: (s) => out(`${s}\n`), onQuit: () => (quit = true),
    });
    let restore = () => {};
    if (tp.keyboard) {
      const kb = tp.keyboard;
      stdin.setRawMode(true);
      stdin.setEncoding('utf8');
      const h = (d: string) => kb.feed(d, performance.now());
      stdin.on('data', h);
      stdin.resume();
      restore = () => {
        stdin.off('data', h);
        stdin.setRawMode(false);
        stdin.pause();
      };
      out(`keys: ${Object.entries(KEY_BINDINGS).filter(([k]) => k.length === 1).map(([k, b]) => `${k} ${b.label}`).join(', ')}; g gripper, 1-5 speed, space let go, q quit\n`);
    }
    const t0 = performance.now();
    if (tp.leader && episodes > 0) {
      const rand = seededRandom(seed);
      for (let ep = 0; ep < episodes && !quit; ep++) {
        const q = tp.follower().joints_rad;
        const goal = drawReachGoal(geometry, sim.runtime.snapshot().observation.base, { shoulder_rad: q.shoulder!, elbow_rad: q.elbow! }, rand);
        const r = await scriptedReach(tp.leader, tp.follower, goal, { seed: seed * 1000 + ep, timeout_ms: 30000, stopped: () => quit });
        const f = tp.follower().joints_rad;
        out(`episode ${ep + 1}/${episodes}: reach (${goal.point.x_m.toFixed(3)}, ${goal.point.y_m.toFixed(3)}) m = shoulder ${goal.joints_rad.shoulder.toFixed(3)} elbow ${goal.joints_rad.elbow.toFixed(3)} rad, reached ${f.shoulder!.toFixed(3)} ${f.elbow!.toFixed(3)} in ${r.elapsed_s.toFixed(1)} s${r.done ? '' : ' (timed out)'}\n`);
        await sleep(500);
      }
    } else {
      while (!quit && performance.now() - t0 < seconds * 1000) await sleep(50);
    }
    await tp.driver.stop();
    restore();
    const o = sim.runtime.snapshot().observation;
    const joints = Object.entries(o.joints).map(([j, r]) => `${j} ${r.position_rad.toFixed(3)}`).join(', ');
    out(`teleop ended: joints [rad] ${joints}; base (${o.base.x_m.toFixed(3)}, ${o.base.y_m.toFixed(3)}) m heading ${o.base.heading_rad.toFixed(3)} rad; ${sim.runtime.lastCadence}\n`);
    return 0;
  } finally {
    await sim.stop();
  }
}

/** The CLI dispatcher's entry point (host/cli/main.ts loads `main`). */
export const main = (argv: string[]) => teleopMain(argv);
