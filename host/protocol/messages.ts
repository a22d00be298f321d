// The wire protocol's single source: every message, field, unit and constant. `npm run gen` turns it
// into firmware/core/gng_messages.h and host/protocol/messages.gen.ts; a test fails when either is stale.
// Over 300 lines on purpose: it is one table, and a single source split across files would no longer be one.

export type FieldType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32';
/** A field: name (with its unit suffix), scalar type, optional fixed array length, unit, accepted range, and a comment
 * for humans. The generator renders the unit into the C header, the TS types and docs/protocol.md, and checks it
 * against the name's suffix (`_ms` is `ms`, ...). */
export interface FieldDef {
  name: string;
  type: FieldType;
  count?: number;
  /** Physical unit, e.g. 'ms', 'counts/s'; absent for counters, bit sets, ids and text. */
  unit?: string;
  /** Values the receiver accepts (inclusive), emitted as GNG_<MSG>_<FIELD>_MIN/_MAX; the firmware refuses others. */
  range?: readonly [number, number];
  doc: string;
}
export interface MessageDef {
  id: number;
  name: string;
  /** h2m: host to MCU (sequenced, acked, retransmitted). m2h: MCU to host (never acked). */
  dir: 'h2m' | 'm2h';
  /** Stream messages (setpoints) are acked lazily, on the next outgoing frame, not by an empty ack frame. */
  stream?: boolean;
  doc: string;
  fields: FieldDef[];
}

/** Framing: [len][seq][payload: msg_id fields ...][crc16 hi][crc16 lo][SYNC]; len counts the whole frame. */
export const FRAME = {
  SYNC: 0x7e,
  HEADER_BYTES: 2,
  TRAILER_BYTES: 3,
  MIN_BYTES: 5,
  /** Fits the AVR's 128-byte receive ring twice over; Klipper uses the same 64. */
  MAX_BYTES: 64,
} as const;

/** Where the frame's parts sit, derived from FRAME (not hashed: FRAME already fixes them). CRC over len..payload. */
export const FRAME_LAYOUT = {
  LEN_AT: 0,
  SEQ_AT: 1,
  PAYLOAD_AT: FRAME.HEADER_BYTES,
  /** CRC high byte, then low byte, then SYNC: the trailer, counted back from the frame's end. */
  CRC_BYTES: 2,
  PAYLOAD_MAX_BYTES: FRAME.MAX_BYTES - FRAME.MIN_BYTES,
} as const;

/** Every MCU->host id has this bit set and no host->MCU id has: the MCU refuses its own ids as commands by it. */
export const M2H_ID_BIT = 0x80;

/** A pin field holding this value means "not connected". */
export const PIN_NONE = 0xff;
export const MAX_MOTORS = 4;
export const MAX_SERVOS = 4;
export const MAX_ANALOG = 4;
export const MAX_INPUTS = 4;

/** Constant groups, emitted as `GNG_<GROUP>_<NAME>` in C and as objects in TS. */
export const CONSTANTS = {
  FW_VERSION: { MAJOR: 0, MINOR: 1 },
  /** The MCU's control tick: PID, trajectory and telemetry run at this rate (the telemetry_hz maximum). */
  CONTROL: { TICK_HZ: 1000 },
  MCU: { ATMEGA328P: 1, ATMEGA2560: 2, POSIX: 3 },
  MODE: { OFF: 0, PWM: 1, VELOCITY: 2, POSITION: 3 },
  /**
   * POSITION setpoints carry this many fraction bits (counts Q24.8): a reference between encoder counts, so a ramp
   * from rest shows on the wire from its first control period, not only once it has moved a whole count.
   */
  POSITION: { FRAC_BITS: 8 },
  /** Bits of telemetry.faults. */
  FAULT: {
    DISARMED: 1 << 0,
    WATCHDOG_TRIPPED: 1 << 1,
    ESTOP: 1 << 2,
    LIMIT: 1 << 3,
    CONFIG_ERROR: 1 << 4,
    OVERRUN: 1 << 5,
    WDT_RESET: 1 << 6,
    UNCONFIGURED: 1 << 7,
  },
  /** Bits of identify_reply.caps. */
  CAP: { MOTORS: 1 << 0, SERVOS: 1 << 1, ANALOG: 1 << 2, INPUTS: 1 << 3, EEPROM_ID: 1 << 4, HW_WATCHDOG: 1 << 5 },
  /** Bits of config_motor.flags. */
  MOTOR_FLAG: { INVERT_DIR: 1 << 0, INVERT_ENCODER: 1 << 1, LIMIT_ACTIVE_LOW: 1 << 2 },
  /** config_input.role / flags. */
  INPUT_ROLE: { PLAIN: 0, ESTOP: 1 },
  INPUT_FLAG: { PULLUP: 1 << 0, ACTIVE_LOW: 1 << 1 },
  /** error.code: why a command was refused. */
  ERR: {
    BAD_INDEX: 1,
    BAD_PIN: 2,
    PIN_IN_USE: 3,
    NO_PWM_ON_PIN: 4,
    NO_INTERRUPT_ON_PIN: 5,
    NO_ADC_ON_PIN: 6,
    UNKNOWN_MSG: 7,
    BAD_LENGTH: 8,
    BAD_VALUE: 9,
    NOT_CONFIGURED: 10,
  },
  /** event.code: things the MCU tells the host once. */
  EVENT: { BOOT: 1, WATCHDOG_TRIP: 2, ESTOP: 3, LIMIT_HIT: 4, ARMED: 5, DISARMED: 6 },
} as const;

const pin = (name: string, doc: string): FieldDef => ({ name, type: 'u8', doc: `${doc}; MCU pin = port*8+bit (PB5 = 13), 0xFF none` });

export const MESSAGES: MessageDef[] = [
  // ---- host -> MCU ----
  { id: 0x01, name: 'identify', dir: 'h2m', doc: 'Ask for identify_reply.', fields: [] },
  {
    id: 0x02, name: 'config_link', dir: 'h2m', doc: 'Link watchdog window and telemetry rates.',
    fields: [
      { name: 'watchdog_ms', type: 'u16', unit: 'ms', doc: 'no valid frame for this long trips the link watchdog; 0 keeps 100' },
      { name: 'telemetry_hz', type: 'u16', unit: 'Hz', range: [0, CONSTANTS.CONTROL.TICK_HZ], doc: 'telemetry rate, at most one frame per control tick; 0 stops telemetry' },
      { name: 'status_div', type: 'u8', range: [1, 255], doc: 'send status every Nth telemetry frame' },
    ],
  },
  {
    id: 0x03, name: 'config_motor', dir: 'h2m', doc: 'Wire a DC motor channel: H-bridge pins, encoder, limit switches.',
    fields: [
      { name: 'index', type: 'u8', doc: 'motor channel 0..3' },
      pin('pwm_pin', 'PWM to the driver (TB6612 PWMx / L298N ENx)'),
      pin('dir_pin', 'direction (IN1)'),
      pin('dir2_pin', 'second direction pin (IN2), or none for PWM+DIR drivers'),
      pin('enc_a_pin', 'encoder channel A'),
      pin('enc_b_pin', 'encoder channel B'),
      pin('limit_neg_pin', 'limit switch at the negative end'),
      pin('limit_pos_pin', 'limit switch at the positive end'),
      { name: 'flags', type: 'u8', doc: 'MOTOR_FLAG bits' },
      { name: 'max_pwm_permille', type: 'u16', unit: 'permille', range: [0, 1000], doc: 'output clamp' },
    ],
  },
  {
    id: 0x04, name: 'config_pid', dir: 'h2m', doc: 'Closed-loop gains and limits of one motor. Units are for POSITION mode; in VELOCITY mode the same gains act on the velocity error: kp per count/s, ki per count, kd per count/s^2.',
    fields: [
      { name: 'index', type: 'u8', doc: 'motor channel 0..3' },
      { name: 'kp_q16', type: 'i32', unit: 'permille/count', doc: 'Q16.16' },
      { name: 'ki_q16', type: 'i32', unit: 'permille/(count*s)', doc: 'Q16.16' },
      { name: 'kd_q16', type: 'i32', unit: 'permille/(count/s)', doc: 'Q16.16' },
      { name: 'i_limit_permille', type: 'u16', unit: 'permille', range: [0, 1000], doc: 'anti-windup clamp of the integral term (larger values act as the maximum)' },
      { name: 'vel_limit_cps', type: 'i32', unit: 'counts/s', doc: 'velocity limit of the trajectory' },
      { name: 'accel_limit_cps2', type: 'i32', unit: 'counts/s^2', doc: 'acceleration limit (soft start)' },
    ],
  },
  {
    id: 0x05, name: 'config_servo', dir: 'h2m', doc: 'Wire a hobby servo (50 Hz pulses).',
    fields: [
      { name: 'index', type: 'u8', doc: 'servo channel 0..3' },
      pin('pin', 'signal pin'),
      { name: 'min_us', type: 'u16', unit: 'us', range: [500, 2500], doc: 'shortest pulse accepted' },
      { name: 'max_us', type: 'u16', unit: 'us', range: [500, 2500], doc: 'longest pulse accepted, >= min_us' },
      { name: 'default_us', type: 'u16', unit: 'us', doc: 'safe default pulse; 0 = no pulse (servo limp)' },
    ],
  },
  {
    id: 0x06, name: 'config_analog', dir: 'h2m', doc: 'Sample an ADC pin (potentiometer).',
    fields: [
      { name: 'index', type: 'u8', doc: 'analog channel 0..3' },
      pin('pin', 'ADC pin'),
    ],
  },
  {
    id: 0x07, name: 'config_input', dir: 'h2m', doc: 'A digital input: a button, or the e-stop.',
    fields: [
      { name: 'index', type: 'u8', doc: 'input channel 0..3' },
      pin('pin', 'input pin'),
      { name: 'role', type: 'u8', doc: 'INPUT_ROLE' },
      { name: 'flags', type: 'u8', doc: 'INPUT_FLAG bits' },
    ],
  },
  { id: 0x08, name: 'arm', dir: 'h2m', doc: 'Enable outputs; clears a watchdog trip. Refused while the e-stop input is active.', fields: [] },
  { id: 0x09, name: 'disarm', dir: 'h2m', doc: 'All outputs to their defaults.', fields: [] },
  {
    id: 0x0a, name: 'set_motors', dir: 'h2m', stream: true, doc: 'Setpoints of all four motor channels.',
    fields: [
      { name: 'mode', type: 'u8', count: MAX_MOTORS, doc: 'MODE per channel' },
      { name: 'value', type: 'i32', count: MAX_MOTORS, unit: 'permille | counts/s | counts/256', doc: 'by mode: PWM permille, VELOCITY counts/s, POSITION counts in 1/256 (POSITION.FRAC_BITS)' },
    ],
  },
  {
    id: 0x0b, name: 'set_servo', dir: 'h2m', doc: 'Servo pulse width, clamped to its configured range.',
    fields: [
      { name: 'index', type: 'u8', doc: 'servo channel 0..3' },
      { name: 'pulse_us', type: 'u16', unit: 'us', doc: 'pulse width; 0 = stop pulsing' },
    ],
  },
  { id: 0x0c, name: 'ping', dir: 'h2m', doc: 'Round-trip probe; answered by pong.', fields: [{ name: 'token', type: 'u32', doc: 'echoed back' }] },
  {
    id: 0x0d, name: 'set_node_id', dir: 'h2m', doc: 'Store which part of the robot this board is (EEPROM).',
    fields: [{ name: 'node_id', type: 'u8', count: 8, doc: 'ASCII, NUL-padded, e.g. "base"' }],
  },
  {
    id: 0x0e, name: 'set_position', dir: 'h2m', doc: 'Redefine the encoder count of a motor (homing).',
    fields: [
      { name: 'index', type: 'u8', doc: 'motor channel 0..3' },
      { name: 'counts', type: 'i32', unit: 'counts', doc: 'new current position' },
    ],
  },
  { id: 0x0f, name: 'heartbeat', dir: 'h2m', stream: true, doc: 'Keeps the link watchdog fed when nothing else is sent.', fields: [] },
  {
    // Its own high id, so other additions keep numbering on from 0x10.
    id: 0x1e, name: 'estop', dir: 'h2m',
    doc: 'Software e-stop: outputs to their defaults and latched (DISARMED | ESTOP) until arm, as the e-stop input does. ' +
      'Alone in its frame it is acted on at receipt whatever its seq, and consumes none: the host sends it outside the ' +
      'send window and repeats it until the MCU answers with event ESTOP (every e-stop frame gets one).',
    fields: [],
  },

  // ---- MCU -> host ----
  {
    id: 0x81, name: 'identify_reply', dir: 'm2h', doc: 'Who this firmware is.',
    fields: [
      { name: 'fw_major', type: 'u8', doc: 'firmware version major' },
      { name: 'fw_minor', type: 'u8', doc: 'firmware version minor' },
      { name: 'proto_hash', type: 'u32', doc: 'hash of this message table' },
      { name: 'mcu', type: 'u8', doc: 'MCU type' },
      { name: 'caps', type: 'u16', doc: 'CAP bits' },
      { name: 'max_motors', type: 'u8', doc: 'motor channels' },
      { name: 'max_servos', type: 'u8', doc: 'servo channels' },
      { name: 'rx_buffer_bytes', type: 'u8', unit: 'bytes', doc: 'receive buffer: the host keeps fewer bytes in flight' },
      { name: 'node_id', type: 'u8', count: 8, doc: 'ASCII node id from EEPROM, NUL-padded; empty if never set' },
    ],
  },
  {
    id: 0x82, name: 'telemetry', dir: 'm2h', doc: 'Motor state, streamed at telemetry_hz without acks.',
    fields: [
      { name: 'counter', type: 'u16', doc: 'increments per telemetry frame; a gap is a lost frame' },
      { name: 'time_us', type: 'u32', unit: 'us', doc: 'MCU clock at sampling, wraps' },
      { name: 'counts', type: 'i32', count: MAX_MOTORS, unit: 'counts', doc: 'encoder positions, 4x decoded' },
      { name: 'vel_cps', type: 'i16', count: MAX_MOTORS, unit: 'counts/s', doc: 'filtered velocity, saturates at +-32767' },
      { name: 'out_permille', type: 'i16', count: MAX_MOTORS, unit: 'permille', doc: 'signed PWM output applied' },
      { name: 'faults', type: 'u8', doc: 'FAULT bits' },
    ],
  },
  {
    id: 0x83, name: 'status', dir: 'm2h', doc: 'Slow inputs and link health, every status_div telemetry frames.',
    fields: [
      { name: 'counter', type: 'u16', doc: 'increments per status frame' },
      { name: 'analog', type: 'u16', count: MAX_ANALOG, unit: 'adc counts', doc: '10-bit readings' },
      { name: 'inputs', type: 'u8', doc: 'bit i: input i active; bits 4..7: any limit switch of motor 0..3 active' },
      { name: 'overruns', type: 'u16', doc: 'control periods that overran, wraps' },
      { name: 'crc_errors', type: 'u16', doc: 'frames dropped for a bad CRC or length, wraps' },
      { name: 'seq_errors', type: 'u16', doc: 'frames dropped as replayed or out of order, wraps' },
      { name: 'servo_us', type: 'u16', count: MAX_SERVOS, unit: 'us', doc: 'servo pulses being output (0 = none)' },
      { name: 'applied_frames', type: 'u32', doc: 'host frames applied in sequence since the last identify (the identify included); refused payloads not counted' },
      { name: 'applied_sum', type: 'u32', doc: 'running sums over the payload bytes of those frames, low half: sum of the bytes, high half: sum of those sums (each mod 2^16): the host recomputes it to prove each frame was applied once, in order' },
    ],
  },
  {
    id: 0x84, name: 'pong', dir: 'm2h', doc: 'Answer to ping.',
    fields: [
      { name: 'token', type: 'u32', doc: 'from the ping' },
      { name: 'time_us', type: 'u32', unit: 'us', doc: 'MCU clock' },
    ],
  },
  {
    id: 0x85, name: 'error', dir: 'm2h', doc: 'A command was refused and not applied.',
    fields: [
      { name: 'code', type: 'u8', doc: 'ERR' },
      { name: 'msg_id', type: 'u8', doc: 'the refused message' },
      { name: 'arg', type: 'u8', doc: 'the offending index or pin' },
    ],
  },
  {
    id: 0x86, name: 'event', dir: 'm2h', doc: 'Something happened once (trip, e-stop, boot).',
    fields: [
      { name: 'code', type: 'u8', doc: 'EVENT' },
      { name: 'arg', type: 'u8', doc: 'BOOT: MCUSR reset flags; LIMIT_HIT: motor index' },
    ],
  },
  {
    id: 0x87, name: 'nak', dir: 'm2h',
    doc: 'A host frame arrived after a gap and was dropped; the frame\'s ack says where to resume. A replayed frame gets a plain ack instead, so a NAK always means a lost frame.',
    fields: [{ name: 'seq', type: 'u8', doc: 'seq of the dropped frame: NAKs of older copies than the host\'s last resend are echoes of a loss it already answered' }],
  },
];

export const SIZES: Record<FieldType, number> = { u8: 1, i8: 1, u16: 2, i16: 2, u32: 4, i32: 4 };

/** Name suffix -> the unit a field so named must carry (the style's units-in-names, checked against `unit`). */
export const UNIT_OF_SUFFIX: Record<string, string> = {
  _ms: 'ms', _us: 'us', _hz: 'Hz', _permille: 'permille', _cps: 'counts/s', _cps2: 'counts/s^2', _bytes: 'bytes',
};

/** Byte offset of each field after the message's id byte, in table order. */
export function fieldOffsets(m: MessageDef): Map<string, number> {
  const at = new Map<string, number>();
  let off = 0;
  for (const f of m.fields) {
    at.set(f.name, off);
    off += SIZES[f.type] * (f.count ?? 1);
  }
  return at;
}

/** The table's own rules; the generator refuses to write from a table that breaks one. Returns the problems. */
export function tableProblems(messages: readonly MessageDef[] = MESSAGES): string[] {
  const out: string[] = [];
  const ids = new Set<number>();
  for (const m of messages) {
    if (ids.has(m.id)) out.push(`${m.name}: id ${m.id} is used twice`);
    ids.add(m.id);
    if (((m.id & M2H_ID_BIT) !== 0) !== (m.dir === 'm2h')) out.push(`${m.name}: ${m.dir} ids must have bit 7 ${m.dir === 'm2h' ? 'set' : 'clear'} (0x${m.id.toString(16)})`);
    if (1 + payloadBytes(m) > FRAME_LAYOUT.PAYLOAD_MAX_BYTES) out.push(`${m.name}: ${1 + payloadBytes(m)} bytes do not fit one frame's ${FRAME_LAYOUT.PAYLOAD_MAX_BYTES}-byte payload`);
    for (const f of m.fields) {
      const suffix = Object.keys(UNIT_OF_SUFFIX).find((s) => f.name.endsWith(s));
      if (suffix && f.unit !== UNIT_OF_SUFFIX[suffix]) out.push(`${m.name}.${f.name}: a "${suffix}" field has unit '${UNIT_OF_SUFFIX[suffix]}', not '${f.unit ?? '(none)'}'`);
      if (f.range && !(f.range[0] <= f.range[1])) out.push(`${m.name}.${f.name}: range [${f.range[0]}, ${f.range[1]}] is empty`);
    }
  }
  return out;
}

/** Payload bytes of a message after its id byte. */
export function payloadBytes(m: MessageDef): number {
  return m.fields.reduce((n, f) => n + SIZES[f.type] * (f.count ?? 1), 0);
}

/** FNV-1a 32 over the canonical table: any change to ids, fields or framing changes the hash. */
export function protocolHash(): number {
  const canon = JSON.stringify({
    FRAME,
    PIN_NONE,
    messages: MESSAGES.map((m) => [m.id, m.name, m.dir, !!m.stream, m.fields.map((f) => [f.name, f.type, f.count ?? 1])]),
  });
  let h = 0x811c9dc5;
  for (let i = 0; i < canon.length; i++) {
    h ^= canon.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
