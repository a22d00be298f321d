// `ganglion replay`: re-executes a recorded episode on the emulated robot through the safety envelope and prints the tracking error.
import { episodeOf, readRecording } from '../record/reader.ts';
import { replayEpisode } from '../record/replay.ts';
import { startSimRobot } from '../runtime/sim-robot.ts';
import { parseCommand } from './args.ts';

const HELP = `usage: ganglion replay FILE --episode K [options]

Sends episode K's actions (what the safety envelope let through when it was recorded) to the robot
again, at their recorded times, through the envelope (as teleop commands: its limits, rate limits and
e-stop still apply). Then prints, per joint, the RMS and largest difference between the observation
now and the one recorded (rad for position joints, rad/s for wheels).

  --episode K          the episode index (see the list printed when K is missing)
  --firmware avr|posix emulated firmware: the real .hex in avr8js (default) or the posix build
  --watchdog-ms MS     MCU link watchdog (default: the robot file's)
  --settle S           seconds to move to the episode's first pose before the replay (default 2)
`;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand('replay', HELP, argv, {
    episode: { type: 'string' }, firmware: { type: 'string' }, 'watchdog-ms': { type: 'string' }, settle: { type: 'string' },
  }, { positionals: true });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(`ganglion replay: give one recording FILE\n\n${HELP}`);
    return 2;
  }
  const rec = readRecording(positionals[0]!);
  for (const w of rec.warnings) process.stderr.write(`warning: ${w}\n`);
  const k = Number(values.episode);
  if (values.episode === undefined || !Number.isInteger(k) || k < 0) {
    process.stderr.write(`ganglion replay: --episode K is required (a whole number); ${rec.file} has ${rec.episodes.map((e) => `${e.index} (${e.frames.length} frames)`).join(', ') || 'no episodes'}\n`);
    return 2;
  }
  const ep = episodeOf(rec, k);
  const firmware = values.firmware ?? 'avr';
  if (firmware !== 'avr' && firmware !== 'posix') throw new Error(`--firmware ${firmware}: expected avr or posix`);
  const watchdog = values['watchdog-ms'] === undefined ? undefined : Number(values['watchdog-ms']);
  if (watchdog !== undefined && !(watchdog >= 10 && watchdog <= 10000)) throw new Error(`--watchdog-ms ${values['watchdog-ms']}: expected 10 to 10000`);
  const settle = values.settle === undefined ? 2 : Number(values.settle);
  if (!(settle >= 0 && settle <= 60)) throw new Error(`--settle ${values.settle}: expected 0 to 60 seconds`);
  process.stdout.write(`replaying episode ${k} of ${rec.file} ("${ep.task}", ${ep.frames.length} frames at ${rec.session.fps} Hz) on the emulated robot (${firmware} firmware)\n`);
  const robot = await startSimRobot({ firmware, rate_hz: rec.session.fps, ...(watchdog ? { watchdog_ms: watchdog } : {}) });
  try {
    const r = await replayEpisode(robot.runtime, rec.session, ep, { settle_s: settle });
    process.stdout.write(`sent ${r.sent} actions; ${r.track.length} ticks observed\ntracking error against the recorded observation:\n`);
    for (const e of r.errors) {
      const unit = e.kind === 'position' ? 'rad' : 'rad/s';
      process.stdout.write(`  ${e.joint.padEnd(12)} rms ${e.rms.toFixed(4)} ${unit}  max ${e.max.toFixed(4)} ${unit}\n`);
    }
  } finally {
    await robot.stop();
  }
  return 0;
}
