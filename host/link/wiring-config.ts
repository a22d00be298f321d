// Turns one node's wiring (schematics) and its board profile into the config messages the MCU needs, each
// remembering which wiring item and pins it came from so a refusal can name them.
import { CONSTANTS, PIN_NONE } from '../protocol/messages.ts';
import type { HostMessages } from '../protocol/messages.gen.ts';
import { mcuPinNumber, type Board } from '../hw/board.ts';
import type { NodeWiring } from '../hw/robot.ts';
import { LinkError, errArgIsIndex, errArgIsPin, errCodeText } from './errors.ts';
import { boardPinName } from './texts.ts';

export type HostCommand = { [K in keyof HostMessages]: { name: K; fields: HostMessages[K] } }[keyof HostMessages];

export interface ConfigItem {
  /** "motor 0 'wheel_left'" */
  what: string;
  command: HostCommand;
  /** wire pin -> "enc_a pin D2 (PD2)": how the wiring names each pin of this item */
  pins: Map<number, string>;
}

export interface WiringConfigOptions {
  /** [Hz] status frames (analog, inputs, link health); telemetry_hz / this gives status_div. */
  status_hz?: number;
}

/** Float gain -> Q16.16 on the wire, refusing what an i32 cannot hold. */
export function toQ16(gain: number, what: string): number {
  const q = Math.round(gain * 65536);
  if (!Number.isFinite(q) || q > 0x7fffffff || q < -0x80000000) throw new LinkError('config', `${what}: gain ${gain} does not fit Q16.16 (|gain| < 32768)`);
  return q;
}

export function wiringConfig(node: NodeWiring, board: Board, opts: WiringConfigOptions = {}): ConfigItem[] {
  const items: ConfigItem[] = [];
  const statusDiv = Math.min(255, Math.max(1, Math.round(node.telemetry_hz / (opts.status_hz ?? 20))));
  items.push({
    what: `link of node '${node.id}'`,
    command: { name: 'config_link', fields: { watchdog_ms: node.watchdog_ms, telemetry_hz: node.telemetry_hz, status_div: statusDiv } },
    pins: new Map(),
  });

  for (const m of node.motors) {
    const what = `motor ${m.index} '${m.joint}'`;
    const pins = new Map<number, string>();
    const pin = (role: string, name: string | null): number => resolvePin(board, what, role, name, pins);
    const F = CONSTANTS.MOTOR_FLAG;
    const hasLimit = m.limit_neg !== null || m.limit_pos !== null;
    // The wiring has no polarity field for limit switches: they are wired to ground with the pull-up, like the
    // e-stop and buttons (whose schema defaults to active_low), so a broken wire reads as "hit", the safe side.
    const flags = (m.invert_dir ? F.INVERT_DIR : 0) | (m.invert_encoder ? F.INVERT_ENCODER : 0) | (hasLimit ? F.LIMIT_ACTIVE_LOW : 0);
    items.push({
      what,
      command: {
        name: 'config_motor',
        fields: {
          index: m.index,
          pwm_pin: pin('pwm', m.pwm),
          dir_pin: pin('in1', m.in1),
          dir2_pin: pin('in2', m.in2),
          enc_a_pin: pin('enc_a', m.enc_a),
          enc_b_pin: pin('enc_b', m.enc_b),
          limit_neg_pin: pin('limit_neg', m.limit_neg),
          limit_pos_pin: pin('limit_pos', m.limit_pos),
          flags,
          max_pwm_permille: m.max_pwm_permille,
        },
      },
      pins,
    });
    items.push({
      what: `${what} PID`,
      command: {
        name: 'config_pid',
        fields: {
          index: m.index,
          kp_q16: toQ16(m.pid.kp_permille_per_count, `${what} kp`),
          ki_q16: toQ16(m.pid.ki_permille_per_count_s, `${what} ki`),
          kd_q16: toQ16(m.pid.kd_permille_per_cps, `${what} kd`),
          i_limit_permille: m.pid.i_limit_permille,
          vel_limit_cps: m.pid.vel_limit_cps,
          accel_limit_cps2: m.pid.accel_limit_cps2,
        },
      },
      pins: new Map(),
    });
  }

  for (const s of node.servos) {
    const what = `servo ${s.index} '${s.joint}'`;
    const pins = new Map<number, string>();
    items.push({
      what,
      command: { name: 'config_servo', fields: { index: s.index, pin: resolvePin(board, what, 'signal', s.pin, pins), min_us: s.min_us, max_us: s.max_us, default_us: s.default_us } },
      pins,
    });
  }

  for (const a of node.analog) {
    const what = `analog ${a.index} '${a.name}'`;
    const pins = new Map<number, string>();
    items.push({ what, command: { name: 'config_analog', fields: { index: a.index, pin: resolvePin(board, what, 'adc', a.pin, pins) } }, pins });
  }

  for (const i of node.inputs) {
    const what = `input ${i.index} '${i.name}'`;
    const pins = new Map<number, string>();
    const role = i.role === 'estop' ? CONSTANTS.INPUT_ROLE.ESTOP : CONSTANTS.INPUT_ROLE.PLAIN;
    const flags = (i.pullup ? CONSTANTS.INPUT_FLAG.PULLUP : 0) | (i.active_low ? CONSTANTS.INPUT_FLAG.ACTIVE_LOW : 0);
    items.push({ what, command: { name: 'config_input', fields: { index: i.index, pin: resolvePin(board, what, 'input', i.pin, pins), role, flags } }, pins });
  }
  return items;
}

function resolvePin(board: Board, what: string, role: string, name: string | null, pins: Map<number, string>): number {
  if (name === null) return PIN_NONE;
  const p = board.pins[name];
  if (!p) throw new LinkError('config', `${what}: ${role} pin ${name} is not a pin of board '${board.id}' (it has ${Object.keys(board.pins).join(', ')})`);
  if (board.reserved.includes(name)) throw new LinkError('config', `${what}: ${role} pin ${name} is reserved on board '${board.id}' (${p.note ?? 'the firmware owns it'})`);
  const n = mcuPinNumber(p.mcu_pin);
  // A pin shared by two roles of one item is reported under the first; the MCU refuses it anyway (PIN_IN_USE).
  if (!pins.has(n)) pins.set(n, `${role} pin ${name} (${p.mcu_pin})`);
  return n;
}

/** "MCU on /dev/ttyUSB0 refused motor 0 'wheel_left': pwm pin D4 (PD4): NO_PWM_ON_PIN (pin has no hardware PWM)". */
export function configRefusalText(port: string, item: ConfigItem, code: number, arg: number, board: Board): string {
  let subject: string;
  if (errArgIsPin(code)) subject = item.pins.get(arg) ?? `pin ${boardPinName(arg, board)}`;
  else if (errArgIsIndex(code)) subject = `index ${arg}`;
  else subject = `${item.command.name} (arg ${arg})`;
  return `MCU on ${port} refused ${item.what}: ${subject}: ${errCodeText(code)}`;
}
