// Test helper: synthetic samples (a smooth two-joint motion with a base and one block) and a recorder on a temp file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Recorder, type RecorderOptions } from '../../host/record/recorder.ts';
import type { Sample } from '../../host/record/sample.ts';

export const JOINTS = ['shoulder', 'elbow', 'wheel_left'] as const;
export const KINDS = ['position', 'position', 'velocity'] as const;

export function tempFile(name: string): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'ganglion-rec-')), name);
}

export function openRecorder(file: string, o: Partial<RecorderOptions> = {}): Recorder {
  return new Recorder({ file, joints: JOINTS, joint_kinds: KINDS, task: 'reach the red block', fps: 100, robot: 'test-bot', ...o });
}

/** Sample k of episode e: values are a function of (e, k), so a reader's output can be checked exactly. */
export function sample(e: number, k: number, o: Partial<Sample> = {}): Sample {
  const x = e + k / 1000;
  return {
    taken_ns: BigInt(Date.now()) * 1_000_000n + BigInt(k),
    position_rad: [Math.sin(x), Math.cos(x), 0],
    velocity_radps: [Math.cos(x), -Math.sin(x), 0.5],
    base: { x_m: e, y_m: k / 100, heading_rad: 0.25 },
    objects: [{ id: 'b1', label: 'red block', kind: 'block', x_m: 0.3, y_m: 0.1, size_m: 0.03 }],
    held_id: null,
    action: [Math.sin(x) + 0.01, Math.cos(x) - 0.01, 0.5],
    teleop: k % 2 ? { operator: 'keyboard', position_rad: { shoulder: Math.sin(x) } } : null,
    skill: k < 5 ? { name: 'reach', args: { target_id: 'b1' } } : null,
    control: k < 5 ? 'skill' : 'teleop',
    ...o,
  };
}

/**
 * The reference robot's joints, two 2 s episodes at 50 Hz of a shoulder ramp 0.3 -> 0.5 rad (the replay tests' file):
 * episode 0 observed what it commanded; in episode 1 the observation never moved.
 */
export function writeWaveRecording(file: string): void {
  const joints = ['wheel_left', 'wheel_right', 'shoulder', 'elbow', 'gripper'];
  const rec = new Recorder({ file, joints, joint_kinds: ['velocity', 'velocity', 'position', 'position', 'position'], task: 'wave', fps: 50, robot: 'reference' });
  const t0 = BigInt(Date.now()) * 1_000_000n;
  for (const stuck of [false, true]) {
    rec.startEpisode();
    for (let k = 0; k < 100; k++) {
      const sh = 0.3 + 0.2 * (k / 99);
      rec.add({
        taken_ns: t0 + BigInt(k) * 20_000_000n, position_rad: [0, 0, stuck ? 0.3 : sh, -0.2, 0], velocity_radps: [0, 0, 0, 0, 0],
        base: { x_m: 0, y_m: 0, heading_rad: 0 }, objects: [], held_id: null, action: [0, 0, sh, -0.2, 0], teleop: null, skill: null, control: 'teleop',
      });
    }
    rec.endEpisode();
  }
  rec.close();
}
