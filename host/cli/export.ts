// `ganglion export`: recordings (MCAP) -> a LeRobotDataset v3.0 directory.
import { exportLerobot } from '../record/lerobot.ts';
import { readRecording } from '../record/reader.ts';
import { parseCommand } from './args.ts';

const HELP = `usage: ganglion export FILE... --format lerobot --out DIR

Writes the kept episodes of one or more recordings (from \`ganglion record\`) as one LeRobotDataset v3.0:
meta/info.json, meta/stats.json, meta/tasks.parquet, meta/episodes/chunk-000/file-000.parquet and
data/chunk-000/file-000.parquet. observation.state is the joint positions and action the setpoints the
safety envelope let through (names = the joints); timestamp is when each frame was taken; intervention
is 1 where a person took over from a skill or policy. Episodes a crash cut short are left out (listed).

  --format lerobot   the dataset format (the only one so far)
  --out DIR          a new or empty directory; an export never overwrites a dataset
`;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand('export', HELP, argv, { format: { type: 'string' }, out: { type: 'string' } }, { positionals: true });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const problem = !positionals.length ? 'give at least one recording FILE'
    : values.format !== 'lerobot' ? `--format ${values.format ?? '(missing)'}: the only format is "lerobot"`
    : !values.out ? '--out DIR is required' : null;
  if (problem) {
    process.stderr.write(`ganglion export: ${problem}\n\n${HELP}`);
    return 2;
  }
  const recordings = positionals.map((f) => readRecording(f));
  for (const r of recordings) for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  const s = exportLerobot(recordings, { out: values.out! });
  if (s.skipped.length) process.stderr.write(`left out (incomplete): ${s.skipped.join(', ')}\n`);
  process.stdout.write(`wrote ${s.out}: ${s.episodes} episodes, ${s.frames} frames, ${s.tasks.length} task${s.tasks.length === 1 ? '' : 's'} (LeRobotDataset v3.0)\n`);
  return 0;
}
