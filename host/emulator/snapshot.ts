// What an emulated node shows to inspection: plant and pin state in SI units, as a zod schema (it crosses the worker boundary).
import { z } from 'zod';

export const MotorSnapshotSchema = z.strictObject({
  index: z.number().int(),
  joint: z.string(),
  /** [rad] output shaft angle in the firmware's count frame (sign flipped for invert_encoder), absolute. */
  joint_rad: z.number(),
  /** [rad/s] output shaft velocity, same frame. */
  joint_rad_s: z.number(),
  /** [rad] physical output shaft angle (plant frame: positive = IN1 high). */
  output_rad: z.number(),
  /** [counts] what the firmware should count since boot: emitted encoder edges in its frame. */
  encoder_counts: z.number().int(),
  /** [A] winding current. */
  current_a: z.number(),
  /** [V] average terminal voltage over the last complete PWM period (duty * supply * direction). */
  voltage_v: z.number(),
  /** Duty of the last complete PWM period on the PWM pin (0..1), or the steady level. */
  pwm_duty: z.number(),
  direction: z.enum(['forward', 'reverse', 'brake', 'coast']),
  at_stop: z.enum(['neg', 'pos']).nullable(),
  limit_neg_closed: z.boolean(),
  limit_pos_closed: z.boolean(),
  /** Encoder pins driven at a fixed rate instead of by the shaft. */
  encoder_forced: z.boolean(),
});
export type MotorSnapshot = z.infer<typeof MotorSnapshotSchema>;

export const ServoSnapshotSchema = z.strictObject({
  index: z.number().int(),
  joint: z.string(),
  /** [us] width of the last valid pulse, 0 before the first. */
  pulse_us: z.number(),
  angle_rad: z.number(),
  limp: z.boolean(),
});

export const NodeSnapshotSchema = z.strictObject({
  id: z.string(),
  time_ms: z.number(),
  cycles: z.number(),
  /** Watchdog resets since power-on. */
  resets: z.number().int(),
  /** Bytes the MCU sent at a baud rate other than the host's (a real host would read garbage). */
  baud_errors: z.number().int(),
  motors: z.array(MotorSnapshotSchema),
  servos: z.array(ServoSnapshotSchema),
  analog: z.array(z.strictObject({ index: z.number().int(), name: z.string(), volts: z.number() })),
  inputs: z.array(z.strictObject({ index: z.number().int(), name: z.string(), closed: z.boolean(), level: z.boolean() })),
  /** Board pin name -> state. */
  pins: z.record(z.string(), z.enum(['high', 'low', 'input', 'pullup'])),
});
export type NodeSnapshot = z.infer<typeof NodeSnapshotSchema>;
