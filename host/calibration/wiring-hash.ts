// Hash of the parts of a robot's wiring a calibration depends on, so a calibration made for other wiring is refused.
import { createHash } from 'node:crypto';
import type { Robot } from '../hw/robot.ts';

/**
 * Only what changes the meaning of the measured numbers goes in: which joint is on which node/channel/pin, the
 * gearing and encoder resolution (counts_per_rad), limit switches and hard stops (the zero reference) and servo
 * pulse ranges. Left out on purpose: invert flags (calibration measures them), PID gains, plant physics, ports,
 * rates and descriptions, so tuning a gain or moving a USB cable does not force a recalibration.
 */
export function wiringSubset(robot: Robot): unknown {
  return {
    robot: robot.name,
    nodes: robot.nodes.map((n) => ({
      id: n.id,
      board: n.board,
      motors: n.motors.map((m) => ({
        index: m.index,
        joint: m.joint,
        driver: [m.driver.part, m.driver.channel],
        pins: [m.pwm, m.in1, m.in2, m.enc_a, m.enc_b, m.limit_neg, m.limit_pos],
        gear_ratio: m.gear_ratio,
        encoder_cpr: m.encoder_cpr,
        hard_stops_rad: m.plant.hard_stops_rad ?? null,
      })),
      servos: n.servos.map((s) => ({ index: s.index, joint: s.joint, pin: s.pin, range_us: [s.min_us, s.max_us] })),
    })),
  };
}

/** "sha256:" + the first 16 hex digits of SHA-256 over the canonical JSON of wiringSubset. */
export function wiringHash(robot: Robot): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(wiringSubset(robot))).digest('hex').slice(0, 16)}`;
}
