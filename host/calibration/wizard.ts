// `ganglion calibrate` without --auto: a person moves each joint to its stops by hand (motors off), which gives
// the encoder sense and the zero; one short motor pulse then gives the motor direction. For real robots.
import type { Board } from '../hw/board.ts';
import { countsPerRad, type MotorWiring, type NodeWiring, type Robot } from '../hw/robot.ts';
import { wiringConfig } from '../link/wiring-config.ts';
import { CONSTANTS } from '../protocol/messages.ts';
import { AUTO_DEFAULTS } from './auto.ts';
import type { Connect } from './procedure.ts';
import { servoEntry, withNodeStream } from './procedure.ts';
import { CALIBRATION_VERSION, type Calibration, type DcJointCalibration, type JointCalibration } from './schema.ts';
import type { NodeStream } from './stream.ts';
import { wiringHash } from './wiring-hash.ts';

export interface WizardOptions {
  /** Show a prompt and resolve with the answer line (readline in the CLI; a scripted hand in tests). */
  ask: (prompt: string) => Promise<string>;
  log?: (line: string) => void;
  pwm_permille?: number;
  pulse_ms?: number;
  soft_margin_rad?: number;
}

const { OFF, PWM } = CONSTANTS.MODE;

export async function calibrateRobotWizard(robot: Robot, connect: Connect, o: WizardOptions): Promise<Calibration> {
  const log = o.log ?? (() => {});
  const steps = robot.nodes.reduce((n, node) => n + node.motors.length + node.servos.length, 0);
  const joints: Record<string, JointCalibration> = {};
  let k = 0;
  for (const node of robot.nodes) {
    for (const s of node.servos) {
      joints[s.joint] = servoEntry(node, s);
      log(`[${++k}/${steps}] ${s.joint}: servo pulse range ${s.min_us}-${s.max_us} us from the robot file`);
    }
    if (node.motors.length === 0) continue;
    await withNodeStream(node, connect, async (stream, board) => {
      for (const m of node.motors) {
        const prefix = `[${++k}/${steps}] ${m.joint}:`;
        joints[m.joint] = await wizardJoint(stream, node, m, board, o, (q) => o.ask(`${prefix} ${q}`), (l) => log(`${prefix} ${l}`));
      }
    });
  }
  return { version: CALIBRATION_VERSION, robot: robot.name, wiring_hash: wiringHash(robot), created: new Date().toISOString(), method: 'wizard', joints };
}

async function wizardJoint(stream: NodeStream, node: NodeWiring, m: MotorWiring, board: Board, o: WizardOptions, ask: (q: string) => Promise<string>, log: (l: string) => void): Promise<DcJointCalibration> {
  const i = m.index;
  const cpr = countsPerRad(m);
  const stops = m.plant.hard_stops_rad ?? null;
  const countsNow = async () => (await stream.settle(i, m.joint)).counts[i]!;

  // The person defines "positive": hand motion toward the positive stop (or forward) gives the encoder sense.
  let handSense: 1 | -1;
  let ends: [number, number] | null = null;
  if (stops) {
    await ask('move the joint by hand to its negative stop and press Enter');
    const neg = await countsNow();
    await ask('move the joint by hand to its positive stop and press Enter');
    const pos = await countsNow();
    const range = Math.abs(pos - neg) / cpr;
    log(`stops at ${neg} and ${pos} counts: ${range.toFixed(3)} rad apart (robot file: ${(stops[1] - stops[0]).toFixed(3)})`);
    if (Math.abs(range - (stops[1] - stops[0])) > 0.15) throw new Error(`${m.joint}: ${range.toFixed(3)} rad between the stops, the robot file says ${(stops[1] - stops[0]).toFixed(3)}: check gear_ratio/encoder_cpr or redo the step`);
    handSense = pos > neg ? 1 : -1;
    ends = [neg, pos];
  } else {
    const before = await countsNow();
    await ask('turn the wheel forward by hand (about a quarter turn) and press Enter');
    const d = (await countsNow()) - before;
    if (Math.abs(d) < 0.2 * cpr) throw new Error(`${m.joint}: the encoder moved only ${d} counts: check its wiring, or turn further`);
    handSense = d > 0 ? 1 : -1;
  }
  await ask(`keep clear: press Enter to pulse the motor (${o.pwm_permille ?? AUTO_DEFAULTS.pwm_permille} permille for ${o.pulse_ms ?? AUTO_DEFAULTS.pulse_ms} ms)`);
  await stream.session.arm();
  const before = await countsNow();
  stream.set(i, PWM, o.pwm_permille ?? AUTO_DEFAULTS.pwm_permille);
  await stream.wait(o.pulse_ms ?? AUTO_DEFAULTS.pulse_ms);
  stream.set(i, OFF, 0);
  const pulse = (await countsNow()) - before;
  await stream.session.disarm();
  if (Math.abs(pulse) < 3) throw new Error(`${m.joint}: the motor pulse moved the encoder ${pulse} counts: check motor power and the driver wiring`);
  const flipEnc = handSense < 0;
  const flipDir = Math.sign(pulse) !== handSense;
  const flags = { invert_dir: m.invert_dir !== flipDir, invert_encoder: m.invert_encoder !== flipEnc };
  log(`hand motion counts ${handSense > 0 ? 'up' : 'down'}, the pulse ${pulse > 0 ? 'up' : 'down'} -> invert_dir ${flags.invert_dir}, invert_encoder ${flags.invert_encoder}`);

  // The file's frame: 0 at connect, counting up toward positive. Reconfigure and carry the count across.
  const e = flipEnc ? -1 : 1;
  const here = await countsNow();
  if (flipDir || flipEnc) {
    const cfg = wiringConfig({ ...node, motors: [{ ...m, ...flags }], servos: [], analog: [], inputs: [] }, board).find((c) => c.command.name === 'config_motor')!;
    await stream.session.command(cfg.command.name, cfg.command.fields as never);
  }
  await stream.session.command('set_position', { index: i, counts: e * here });
  const base = { kind: 'dc' as const, node: node.id, motor: i, counts_per_rad: cpr, direction: 1 as const, ...flags, pid: m.pid };
  if (!stops || !ends) return { ...base, zero_offset_counts: 0, soft_limits_rad: null, home: null };
  const [negF, posF] = [e * ends[0], e * ends[1]];
  const zero = Math.round((negF + posF) / 2 - (cpr * (stops[0] + stops[1])) / 2);
  const margin = o.soft_margin_rad ?? AUTO_DEFAULTS.soft_margin_rad;
  const soft: [number, number] = [round4(stops[0] + margin), round4(stops[1] - margin)];
  log(`zero_offset_counts ${zero}, soft limits [${soft[0]}, ${soft[1]}] rad`);
  return {
    ...base,
    zero_offset_counts: zero,
    soft_limits_rad: soft,
    home: { reference: 'stalls_both', hard_stops_rad: [stops[0], stops[1]], measured_range_rad: Math.round(((posF - negF) / cpr) * 1e4) / 1e4, neg_end_counts: negF, pos_end_counts: posF },
  };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
