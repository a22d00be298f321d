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
