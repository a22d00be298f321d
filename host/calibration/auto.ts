// `calibrate --auto` for one DC joint on a live session: find the encoder and motor directions, home against the
// stops (limit switch or stall), derive the zero offset and soft limits, and leave the joint at 0 rad.
import { countsPerRad, type MotorWiring, type NodeWiring } from '../hw/robot.ts';
import { CONSTANTS } from '../protocol/messages.ts';
import { positionSetpoint } from '../protocol/position.ts';
import { wiringConfig } from '../link/wiring-config.ts';
import type { Board } from '../hw/board.ts';
import type { McuState } from '../link/telemetry.ts';
import type { DcJointCalibration, HomeInfo } from './schema.ts';
import type { NodeStream } from './stream.ts';

export interface AutoOptions {
  /** [permille] open-loop drive for the direction pulse and homing: slow enough to meet a stop gently. */
  pwm_permille: number;
  /** [ms] length of the direction pulse. */
  pulse_ms: number;
  /** [ms] counts unchanged this long while driving = stalled against a stop. */
  stall_ms: number;
  /** [rad] soft limits stay this far inside the hard stops (and clear of a limit switch). */
  soft_margin_rad: number;
  /**
   * [rad] largest error accepted when the joint is finally sent to 0 rad. A gross check (a wrong sign runs the
   * joint into a stop); the fine holding error is the PID's business, not calibration's.
   */
  zero_check_rad: number;
}

export const AUTO_DEFAULTS: AutoOptions = { pwm_permille: 150, pulse_ms: 120, stall_ms: 150, soft_margin_rad: 0.1, zero_check_rad: 0.05 };

const { OFF, PWM, POSITION } = CONSTANTS.MODE;
/** [rad] a pulse must move the joint at least this far to count as motion (encoder noise is +-1 count). */
const MIN_PULSE_MOVE_RAD = 0.005;
/** [ms] output held at 0 this long while we ask for drive = the firmware refuses (limit switch in that direction). */
const REFUSED_MS = 50;
/** [rad] soft limits keep at least this clear of where a limit switch closes, so normal motion never trips it. */
const SWITCH_CLEARANCE_RAD = 0.05;

export interface JointContext {
  stream: NodeStream;
  node: NodeWiring;
  motor: MotorWiring;
  board: Board;
  opts: AutoOptions;
  /** One progress line, already prefixed with the step ("[2/5] shoulder:"). */
  log: (line: string) => void;
}

interface EndResult {
  /** limit: the firmware refused to drive further (a limit switch in that direction); stall: the joint stopped. */
  by: 'limit' | 'stall';
  /** [counts] MCU count at rest. */
  counts: number;
}

/** Calibrate one DC motor; resolves with its entry for the calibration file. */
export async function calibrateDcJoint(cx: JointContext): Promise<DcJointCalibration> {
  const { stream, motor: m, opts, log } = cx;
  const i = m.index;
  const cpr = countsPerRad(m);
  const stops = m.plant.hard_stops_rad ?? null;
  const switchEnd: -1 | 1 | null = m.limit_neg ? -1 : m.limit_pos ? 1 : null;

  // (a) Encoder sense: which way do the counts go for a positive drive, with the robot file's flags?
  const sense = await encoderSense(cx, cpr);
  log(`direction pulse: +PWM moves the counts ${sense > 0 ? 'up' : 'down'} (robot file: invert_dir ${m.invert_dir}, invert_encoder ${m.invert_encoder})`);

  // (b) Motor direction needs an absolute reference: a limit switch knows which end it is at. Driving toward it
  // either trips it (the firmware then refuses more drive that way) or stalls at the opposite hard stop.
  let flipDir = false;
  if (stops && switchEnd !== null) {
    const name = switchEnd < 0 ? 'limit_neg' : 'limit_pos';
    const outward = await switchActive(cx) ? await leavesSwitch(cx, switchEnd < 0 ? 1 : -1) : null;
    if (outward !== null) {
      flipDir = !outward;
      log(`starts on its ${name} switch; driving away ${outward ? 'opened it' : 'did not open it'} -> motor direction ${flipDir ? 'reversed' : 'as wired'}`);
    } else {
      const end = await driveToEnd(cx, switchEnd, cpr, stops);
      flipDir = end.by !== 'limit';
      log(flipDir
        ? `driving toward ${name} stalled at the far stop instead -> motor leads are reversed: invert_dir ${!m.invert_dir}`
        : `driving toward ${name} tripped it -> motor direction as wired`);
    }
  } else if (stops) {
    log('no limit switch: the motor direction is taken from the robot file (a stall looks the same at either end)');
  }
  const flipEnc = sense * (flipDir ? -1 : 1) < 0;
  const flags = { invert_dir: m.invert_dir !== flipDir, invert_encoder: m.invert_encoder !== flipEnc };

  // Counts so far are in the frame the session configured (robot-file flags, 0 at connect). Reconfiguring restarts
  // the MCU's count at 0, so remember where we were: the file's frame is "0 at connect, corrected sense".
  let shift = 0;
  if (flipDir || flipEnc) {
    const here = (await stream.settle(i, `${m.joint}`)).counts[i]!;
    await reconfigure(cx, flags);
    shift = flipEnc ? -here : here;
    log(`reconfigured: invert_dir ${flags.invert_dir}, invert_encoder ${flags.invert_encoder}`);
  }
  const fileCounts = (s: McuState) => s.counts[i]! + shift;

  if (!stops) {
    // A wheel: no stops, no zero. Only the direction matters, and +PWM now counts up.
    await stream.session.command('set_position', { index: i, counts: fileCounts(await stream.settle(i, m.joint)) });
    log(`done: counts_per_rad ${cpr.toFixed(2)}, invert_dir ${flags.invert_dir}, invert_encoder ${flags.invert_encoder}`);
    return entry(cx, cpr, flags, 0, null, null);
  }

  // (c) Home: negative end, then positive end, with the corrected flags.
  const neg = await driveToEnd(cx, -1, cpr, stops);
  const negCounts = neg.counts + shift;
  log(`negative end: ${neg.by === 'limit' ? 'limit switch' : 'stall'} at ${negCounts} counts`);
  const pos = await driveToEnd(cx, 1, cpr, stops);
  const posCounts = pos.counts + shift;
  log(`positive end: ${pos.by === 'limit' ? 'limit switch' : 'stall'} at ${posCounts} counts`);

  const range_rad = (posCounts - negCounts) / cpr;
  const stopsRange = stops[1] - stops[0];
  // A switch closes a little before its stop, and nothing can travel further than stop to stop.
  if (!(range_rad > stopsRange - 0.3 && range_rad < stopsRange + 0.05)) {
    throw new Error(`${m.joint}: measured ${range_rad.toFixed(3)} rad between the ends, but the robot file's hard stops are ${stopsRange.toFixed(3)} rad apart: check gear_ratio/encoder_cpr, the stops, or an obstruction`);
  }
  // Stalls sit exactly on a hard stop; a switch closes at an unknown distance before its stop, so prefer stalls.
  let zero: number;
  let reference: HomeInfo['reference'];
  if (neg.by === 'stall' && pos.by === 'stall') {
    zero = (negCounts + posCounts) / 2 - (cpr * (stops[0] + stops[1])) / 2;
    reference = 'stalls_both';
  } else if (pos.by === 'stall') {
    zero = posCounts - stops[1] * cpr;
    reference = 'stall_pos';
  } else if (neg.by === 'stall') {
    zero = negCounts - stops[0] * cpr;
    reference = 'stall_neg';
  } else {
    zero = negCounts - stops[0] * cpr;
    reference = 'limit_neg';
  }
  const zero_offset_counts = Math.round(zero);
  const toRad = (c: number) => (c - zero_offset_counts) / cpr;
  let lo = stops[0] + opts.soft_margin_rad;
  let hi = stops[1] - opts.soft_margin_rad;
  if (neg.by === 'limit') lo = Math.max(lo, toRad(negCounts) + SWITCH_CLEARANCE_RAD);
  if (pos.by === 'limit') hi = Math.min(hi, toRad(posCounts) - SWITCH_CLEARANCE_RAD);
  const soft: [number, number] = [round4(lo), round4(hi)];
  log(`range ${range_rad.toFixed(3)} rad (stops ${stopsRange.toFixed(3)}), zero_offset_counts ${zero_offset_counts} (${reference}), soft limits [${soft[0]}, ${soft[1]}] rad`);

  // Put the MCU in the file's frame, then send the joint to 0 rad as the proof.
  await stream.session.command('set_position', { index: i, counts: fileCounts(await stream.settle(i, m.joint)) });
  stream.set(i, POSITION, positionSetpoint(zero_offset_counts));
  // Static friction parks the joint a few counts off until the integral term builds up: give it time to.
  const tight = Math.max(1, Math.round(0.005 * cpr));
  await stream.until(`${m.joint}: going to 0 rad`, 10_000, (s, t) => Math.abs(s.counts[i]! - zero_offset_counts) <= tight || t > 2000);
  const rest = await stream.settle(i, `${m.joint} to 0 rad`, 100, 1, 10_000);
  const err_rad = toRad(rest.counts[i]!);
  log(`sent to 0 rad: at ${err_rad.toFixed(4)} rad by its encoder`);
  if (Math.abs(err_rad) > opts.zero_check_rad) throw new Error(`${m.joint}: did not hold 0 rad (off by ${err_rad.toFixed(3)} rad): check the PID gains`);

  const home: HomeInfo = { reference, hard_stops_rad: [stops[0], stops[1]], measured_range_rad: round4(range_rad), neg_end_counts: negCounts, pos_end_counts: posCounts };
  return entry(cx, cpr, flags, zero_offset_counts, soft, home);
}

function entry(cx: JointContext, cpr: number, flags: { invert_dir: boolean; invert_encoder: boolean }, zero: number, soft: [number, number] | null, home: HomeInfo | null): DcJointCalibration {
  return {
    kind: 'dc',
    node: cx.node.id,
    motor: cx.motor.index,
    counts_per_rad: cpr,
    zero_offset_counts: zero,
    direction: 1,
    ...flags,
    soft_limits_rad: soft,
    pid: cx.motor.pid,
    home,
  };
}

/** +1 when a positive PWM pulse makes the counts rise, -1 when they fall; tries the other way if blocked. */
async function encoderSense(cx: JointContext, cpr: number): Promise<1 | -1> {
  const { stream, motor: m, opts } = cx;
  const i = m.index;
  for (const drive of [1, -1] as const) {
    const before = (await stream.settle(i, m.joint)).counts[i]!;
    stream.set(i, PWM, drive * opts.pwm_permille);
    await stream.wait(opts.pulse_ms);
    stream.set(i, OFF, 0);
    const moved = (await stream.settle(i, m.joint)).counts[i]! - before;
    if (Math.abs(moved) >= Math.max(3, MIN_PULSE_MOVE_RAD * cpr)) return Math.sign(moved) * drive > 0 ? 1 : -1;
  }
  throw new Error(`${m.joint}: the encoder saw no motion for ${opts.pwm_permille} permille pulses either way: check motor power, the driver and encoder wiring (and that the joint is not resting on a limit switch)`);
}

/** Is a limit switch of this motor active (status frames carry it, so wait for a fresh one)? */
async function switchActive(cx: JointContext): Promise<boolean> {
  let statusSeen = 0;
  const onStatus = () => statusSeen++;
  cx.stream.session.on('status', onStatus);
  try {
    await cx.stream.until('waiting for a status frame', 2000, () => statusSeen >= 2);
  } finally {
    cx.stream.session.off('status', onStatus);
  }
  return ((cx.stream.session.mcuState!.inputs >> (4 + cx.motor.index)) & 1) === 1;
}

/** On a switch: pulse `drive` (away from it if the motor is wired as the file says) and see whether it opens. */
async function leavesSwitch(cx: JointContext, drive: 1 | -1): Promise<boolean> {
  const { stream, motor: m, opts } = cx;
  stream.set(m.index, PWM, drive * opts.pwm_permille);
  await stream.wait(opts.pulse_ms * 2);
  stream.set(m.index, OFF, 0);
  await stream.settle(m.index, m.joint);
  return !(await switchActive(cx));
}

/** Drive open-loop toward one end until the firmware refuses (limit switch) or the joint stalls; stop; at rest. */
async function driveToEnd(cx: JointContext, toward: 1 | -1, cpr: number, stops: [number, number]): Promise<EndResult> {
  const { stream, motor: m, opts } = cx;
  const i = m.index;
  const start = (await stream.settle(i, m.joint)).counts[i]!;
  const maxTravel = (stops[1] - stops[0]) * cpr * 1.3;
  let moveRef = start;
  let movedAt = 0;
  let zeroOutSince: number | null = null;
  let by: EndResult['by'] = 'stall';
  stream.set(i, PWM, toward * opts.pwm_permille);
  try {
    await stream.until(`${m.joint}: driving toward the ${toward < 0 ? 'negative' : 'positive'} end`, 60_000, (s, t) => {
      const c = s.counts[i]!;
      if (Math.abs(c - start) > maxTravel) {
        throw new Error(`${m.joint}: travelled ${((c - start) / cpr).toFixed(2)} rad without meeting a stop (the robot file's stops are ${(stops[1] - stops[0]).toFixed(2)} rad apart): is the joint free-running, or gear_ratio/encoder_cpr wrong?`);
      }
      if (Math.abs(c - moveRef) > 1) {
        moveRef = c;
        movedAt = t;
      }
      // The firmware zeroes the output itself when a limit switch blocks this direction.
      if (s.outPermille[i] === 0) zeroOutSince ??= t;
      else zeroOutSince = null;
      if (zeroOutSince !== null && t - zeroOutSince >= REFUSED_MS) {
        by = 'limit';
        return true;
      }
      return t - movedAt >= opts.stall_ms;
    });
  } finally {
    stream.set(i, OFF, 0);
  }
  const rest = await stream.settle(i, m.joint);
  return { by, counts: rest.counts[i]! };
}

/**
 * New invert flags on the MCU: disarm (config must not move outputs), config_motor, count 0 here, re-arm. The firmware
 * keeps a count across a config of the same encoder (a reconnect must not move the zero), so the restart at 0 that
 * the caller's shift assumes is set explicitly.
 */
async function reconfigure(cx: JointContext, flags: { invert_dir: boolean; invert_encoder: boolean }): Promise<void> {
  const { stream, motor: m } = cx;
  // The same config message the session sends at connect, built from the wiring with the new flags.
  const node = { ...cx.node, motors: [{ ...m, ...flags }], servos: [], analog: [], inputs: [] };
  const item = wiringConfig(node, cx.board).find((c) => c.command.name === 'config_motor')!;
  stream.set(m.index, OFF, 0);
  await stream.session.disarm();
  await stream.session.command(item.command.name, item.command.fields as never);
  await stream.session.command('set_position', { index: m.index, counts: 0 });
  await stream.session.arm();
  await stream.wait(20);
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
