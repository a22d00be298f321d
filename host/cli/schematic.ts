// `ganglion schematic [robot.json] [--out file.svg]`: checks a robot's wiring against its boards, then renders it to SVG.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkRobot } from '../hw/check.ts';
import { loadRobot, REFERENCE_ROBOT } from '../hw/robot.ts';
import { renderRobotSvg } from '../hw/svg.ts';
import { parseCommand } from './args.ts';

const USAGE = `usage: ganglion schematic [robot.json] [--out file.svg]

Checks every pin of the robot's wiring file against its boards (boards/*.json) and, when all is
well, draws the wiring to an SVG next to the file (schematics/reference-robot.json ->
schematics/reference-robot.svg). Default robot: ${path.relative(process.cwd(), REFERENCE_ROBOT) || REFERENCE_ROBOT}.
`;

/** Where the SVG goes by default: beside the robot file, same name. */
export function defaultSvgPath(robotFile: string): string {
  return path.join(path.dirname(robotFile), `${path.basename(robotFile, '.json')}.svg`);
}

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand('schematic', USAGE, argv, { out: { type: 'string', short: 'o' } }, { positionals: true });
  if (typeof args === 'number') return args;
  if (args.positionals.length > 1) {
    process.stderr.write(`ganglion schematic: give one robot file, not ${args.positionals.length}\n\n${USAGE}`);
    return 2;
  }
  const file = path.resolve(args.positionals[0] ?? REFERENCE_ROBOT);
  const robot = loadRobot(file);
  const problems = checkRobot(robot);
  if (problems.length > 0) {
    const n = problems.length;
    process.stderr.write(`ganglion schematic: ${file} has ${n} wiring problem${n > 1 ? 's' : ''}; fix ${n > 1 ? 'them' : 'it'} and run again:\n`);
    for (const p of problems) process.stderr.write(`  - ${p.message}\n`);
    return 1;
  }
  const out = path.resolve(args.values.out ?? defaultSvgPath(file));
  writeFileSync(out, renderRobotSvg(robot));
  process.stdout.write(`wiring ok: wrote ${path.relative(process.cwd(), out) || out}\n`);
  return 0;
}
