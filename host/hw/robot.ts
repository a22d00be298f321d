// Robot wiring files (schematics/*.json): nodes (one MCU each), and what hangs on which pin. Validated with zod.
import path from 'node:path';
import { z } from 'zod';
import { ROOT } from './board.ts';
import { readJsonFile } from '../util/read-json.ts';

export const SCHEMATICS_DIR = path.join(ROOT, 'schematics');
export const REFERENCE_ROBOT = path.join(SCHEMATICS_DIR, 'reference-robot.json');

const PinRef = z.string().regex(/^[A-Z][A-Z0-9]*$/, 'a board pin name such as D5 or A0');

/** Physical motor + gearbox + encoder, used by the emulator's plant model (host/emulator/plant). */
export const MotorPlantSchema = z.strictObject({
  supply_v: z.number().positive(),
  resistance_ohm: z.number().positive(),
  /** [Nm/A] torque constant; equals the back-EMF constant [V/(rad/s)] in SI units. */
  kt_nm_per_a: z.number().positive(),
  /** [kg m^2] rotor inertia plus the load reflected through the gearbox. */
  inertia_kgm2: z.number().positive(),
  /** [Nm/(rad/s)] viscous friction at the motor shaft. */
  viscous_nms: z.number().nonnegative(),
  /** [Nm] Coulomb friction at the motor shaft. */
  coulomb_nm: z.number().nonnegative(),
  /** [rad] hard stops of the output shaft (joints); absent for wheels. */
  hard_stops_rad: z.tuple([z.number(), z.number()]).optional(),
  /** [rad] output angle at power-up, hidden from the host (calibration must find it). */
  initial_rad: z.number().default(0),
});
export type MotorPlant = z.infer<typeof MotorPlantSchema>;

export const PidSchema = z.strictObject({
  kp_permille_per_count: z.number(),
  ki_permille_per_count_s: z.number(),
  kd_permille_per_cps: z.number(),
  i_limit_permille: z.number().int().min(0).max(1000),
  vel_limit_cps: z.number().int().positive(),
  accel_limit_cps2: z.number().int().positive(),
});

export const MotorSchema = z.strictObject({
  index: z.number().int().min(0).max(3),
  joint: z.string(),
  driver: z.strictObject({ part: z.enum(['TB6612FNG', 'L298N', 'DRV8871']), channel: z.enum(['A', 'B']) }),
  pwm: PinRef,
  in1: PinRef,
  in2: PinRef.nullable().default(null),
  enc_a: PinRef,
  enc_b: PinRef,
  limit_neg: PinRef.nullable().default(null),
  limit_pos: PinRef.nullable().default(null),
  invert_dir: z.boolean().default(false),
  invert_encoder: z.boolean().default(false),
  max_pwm_permille: z.number().int().min(0).max(1000).default(1000),
  /** Output-shaft gear reduction and motor-side encoder counts per motor revolution (4x decoded). */
  gear_ratio: z.number().positive(),
  encoder_cpr: z.number().int().positive(),
  pid: PidSchema,
  plant: MotorPlantSchema,
});
export type MotorWiring = z.infer<typeof MotorSchema>;

export const ServoSchema = z.strictObject({
  index: z.number().int().min(0).max(3),
  joint: z.string(),
  pin: PinRef,
  min_us: z.number().int().min(500).max(2500),
  max_us: z.number().int().min(500).max(2500),
  /** [us] pulse while disarmed or tripped; 0 = no pulse (the servo goes limp). */
  default_us: z.number().int().min(0).max(2500),
});

/**
 * A motor on a Firmata board: PWM + one direction pin, no encoder, so open loop (StandardFirmata counts no encoders).
 * The host sets a signed duty; nothing measures where the shaft went.
 */
export const OpenMotorSchema = z.strictObject({
  index: z.number().int().min(0).max(3),
  joint: z.string(),
  pwm: PinRef,
  dir: PinRef,
  invert_dir: z.boolean().default(false),
  max_pwm_permille: z.number().int().min(0).max(1000).default(1000),
});
export type OpenMotorWiring = z.infer<typeof OpenMotorSchema>;

/**
 * A plain output of a Firmata board, driven through johnny-five's Led (pwm: duty) or Pin (digital: high/low), e.g. a
 * lamp, a buzzer, a relay. default_permille is what the host deadman puts on it (digital: 0 = low, 1000 = high).
 */
export const OutputSchema = z.strictObject({
  index: z.number().int().min(0).max(7),
  name: z.string(),
  pin: PinRef,
  mode: z.enum(['digital', 'pwm']),
  default_permille: z.number().int().min(0).max(1000).default(0),
});
export type OutputWiring = z.infer<typeof OutputSchema>;

export const AnalogSchema = z.strictObject({ index: z.number().int().min(0).max(3), name: z.string(), pin: PinRef });

export const InputSchema = z.strictObject({
  index: z.number().int().min(0).max(3),
  name: z.string(),
  pin: PinRef,
  role: z.enum(['plain', 'estop']),
  pullup: z.boolean().default(true),
  active_low: z.boolean().default(true),
});

export const NodeSchema = z.strictObject({
  /** Also stored in the MCU's EEPROM, so a board plugged into the wrong port is refused. */
  id: z.string().regex(/^[a-z][a-z0-9_]{0,7}$/, 'node ids are 1-8 lowercase characters'),
  board: z.string(),
  /** Serial port of a real board; absent means the emulator. */
  port: z.string().optional(),
  watchdog_ms: z.number().int().min(10).max(5000).default(100),
  telemetry_hz: z.number().int().min(1).max(1000).default(200),
  motors: z.array(MotorSchema).max(4).default([]),
  /** Open-loop motors (Firmata boards only: PWM + direction, no encoder). */
  open_motors: z.array(OpenMotorSchema).max(4).default([]),
  servos: z.array(ServoSchema).max(4).default([]),
  /** Digital and PWM outputs (Firmata boards only: johnny-five Pin and Led). */
  outputs: z.array(OutputSchema).max(8).default([]),
  analog: z.array(AnalogSchema).max(4).default([]),
  inputs: z.array(InputSchema).max(4).default([]),
});
export type NodeWiring = z.infer<typeof NodeSchema>;

export const RobotSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string(),
  nodes: z.array(NodeSchema).min(1),
  /** Geometry later layers use: wheel radius, track width, arm link lengths. */
  kinematics: z.record(z.string(), z.number()).default({}),
});
export type Robot = z.infer<typeof RobotSchema>;

/** Load and validate a robot file; the error names the file and the field. Pin checks are in check.ts. */
export function loadRobot(file = REFERENCE_ROBOT): Robot {
  return readJsonFile(file, RobotSchema, {
    say: {
      missing: (f) => `robot file ${f} is missing: give --robot the path of a robot file (${REFERENCE_ROBOT} is the reference one)`,
      unreadable: (f, d) => `cannot read robot file ${f} (${d})`,
      not_json: (f, d) => `robot file ${f} is not valid JSON (${d}; truncated?): fix it by hand or restore it from version control`,
    },
  });
}

/** Encoder counts per radian of the output shaft. */
export function countsPerRad(m: MotorWiring): number {
  return (m.encoder_cpr * m.gear_ratio) / (2 * Math.PI);
}
