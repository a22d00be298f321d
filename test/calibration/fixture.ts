// Test helper: a hand-written calibration of the reference robot (valid, matching its wiring) and temp dirs.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRobot, type Robot } from '../../host/hw/robot.ts';
import { CALIBRATION_VERSION, type Calibration } from '../../host/calibration/schema.ts';
import { wiringHash } from '../../host/calibration/wiring-hash.ts';

const pid = { kp_permille_per_count: 6, ki_permille_per_count_s: 2, kd_permille_per_cps: 0.05, i_limit_permille: 300, vel_limit_cps: 3000, accel_limit_cps2: 20000 };

export function referenceRobot(): Robot {
  return loadRobot();
}

export function sampleCalibration(robot = referenceRobot()): Calibration {
  return {
    version: CALIBRATION_VERSION,
    robot: robot.name,
    wiring_hash: wiringHash(robot),
    created: '2025-01-01T00:00:00.000Z',
    method: 'auto',
    joints: {
      wheel_left: { kind: 'dc', node: 'base', motor: 0, counts_per_rad: 210.08, zero_offset_counts: 0, direction: 1, invert_dir: false, invert_encoder: false, soft_limits_rad: null, pid, home: null },
      shoulder: {
        kind: 'dc', node: 'arm', motor: 0, counts_per_rad: 700.28, zero_offset_counts: -210, direction: 1, invert_dir: false, invert_encoder: true, soft_limits_rad: [-1.5, 1.5], pid,
        home: { reference: 'stall_pos', hard_stops_rad: [-1.6, 1.6], measured_range_rad: 3.2, neg_end_counts: -1331, pos_end_counts: 910 },
      },
      wheel_right: { kind: 'dc', node: 'base', motor: 1, counts_per_rad: 210.08, zero_offset_counts: 0, direction: 1, invert_dir: true, invert_encoder: true, soft_limits_rad: null, pid, home: null },
      elbow: {
        kind: 'dc', node: 'arm', motor: 1, counts_per_rad: 700.28, zero_offset_counts: 140, direction: 1, invert_dir: true, invert_encoder: false, soft_limits_rad: [-2.3, 2.3], pid,
        home: { reference: 'stall_pos', hard_stops_rad: [-2.4, 2.4], measured_range_rad: 4.8, neg_end_counts: -1540, pos_end_counts: 1821 },
      },
      gripper: { kind: 'servo', node: 'arm', servo: 0, pulse_range_us: [1000, 2000], us_at_zero_rad: 1000, us_per_rad: 1000 / Math.PI, soft_limits_rad: [0, 3.1416] },
    },
  };
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'ganglion-cal-'));
}
