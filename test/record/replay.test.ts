// Replay on the emulated robot (posix firmware): a recorded arm motion re-executed through the envelope tracks its recording; a recording whose observation disagrees with its actions shows the error.
import t from 'tap';
import { readRecording } from '../../host/record/reader.ts';
import { Recorder } from '../../host/record/recorder.ts';
import { replayEpisode, trackingError } from '../../host/record/replay.ts';
import { startSimRobot } from '../../host/runtime/sim-robot.ts';
import { tempFile } from './samples.ts';

const JOINTS = ['wheel_left', 'wheel_right', 'shoulder', 'elbow', 'gripper'];
const KINDS = ['velocity', 'velocity', 'position', 'position', 'position'] as const;

/** 2 s at 50 Hz: the shoulder ramps 0.3 -> 0.5 rad. Episode 0 observed what it commanded; episode 1 "observed" a shoulder that never moved. */
function recording(file: string): void {
  const rec = new Recorder({ file, joints: JOINTS, joint_kinds: KINDS, task: 'wave', fps: 50, robot: 'reference' });
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

t.test('replay through the envelope: tracking error against the recorded observation', async (t) => {
  const file = tempFile('replay.mcap');
  recording(file);
  const r = readRecording(file);
  const robot = await startSimRobot({ firmware: 'posix', rate_hz: 50, watchdog_ms: 500 });
  t.teardown(() => robot.stop());
  const good = await replayEpisode(robot.runtime, r.session, r.episodes[0]!, { settle_s: 1.5 });
  t.equal(good.sent, 100);
  t.ok(good.track.length >= 50, `ticks observed during the replay (${good.track.length})`);
  const sh = good.errors.find((e) => e.joint === 'shoulder')!;
  t.ok(sh.rms < 0.05, `the shoulder follows its recording: rms ${sh.rms.toFixed(4)} rad`);
  const last = good.track.at(-1)!.position_rad[2]!;
  t.ok(Math.abs(last - 0.5) < 0.05, `the robot ended where the recording did (${last.toFixed(3)} rad)`);
  const bad = await replayEpisode(robot.runtime, r.session, r.episodes[1]!, { settle_s: 1.5 });
  const badSh = bad.errors.find((e) => e.joint === 'shoulder')!;
  t.ok(badSh.rms > 0.05 && badSh.max > 0.15, `a recording that disagrees with its actions shows it: rms ${badSh.rms.toFixed(3)}, max ${badSh.max.toFixed(3)} rad`);
  t.throws(() => trackingError(r.session, r.episodes[0]!, []), /no replayed samples/);
});
