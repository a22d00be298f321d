// Replay on the emulated robot (posix firmware): a recorded arm motion re-executed through the envelope tracks its recording; a recording whose observation disagrees with its actions shows the error.
import t from 'tap';
import { readRecording } from '../../host/record/reader.ts';
import { replayEpisode, trackingError } from '../../host/record/replay.ts';
import { startSimRobot } from '../../host/runtime/sim-robot.ts';
import { tempFile, writeWaveRecording } from './samples.ts';

t.test('replay through the envelope: tracking error against the recorded observation', async (t) => {
  const file = tempFile('replay.mcap');
  writeWaveRecording(file);
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
