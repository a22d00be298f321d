// Subcommand arguments: node's parseArgs, strict, with -h/--help, and what every `ganglion <command>` does on --help and on a bad option.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Out = (s: string) => void;
const stdout: Out = (s) => void process.stdout.write(s);
const stderr: Out = (s) => void process.stderr.write(s);

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * `argv` of `ganglion <command>` parsed against `options` (plus -h/--help), or the exit code when the command has
 * nothing more to do: 0 once --help has printed the usage, 2 once a bad option has been named above the usage.
 */
export function parseCommand<const O extends Options, const P extends boolean = false>(
  command: string,
  usage: string,
  argv: string[],
  options: O,
  o: { positionals?: P; out?: Out; err?: Out } = {},
) {
  const config = { args: argv, strict: true as const, allowPositionals: (o.positionals ?? false) as P, options: { ...options, ...HELP } as O & typeof HELP };
  let parsed;
  try {
    parsed = parseArgs(config);
  } catch (e) {
    (o.err ?? stderr)(`ganglion ${command}: ${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    (o.out ?? stdout)(usage);
    return 0;
  }
  return parsed;
}

/**
 * An integer option within [min, max], or undefined when not given; anything else is refused, naming the range
 * ("from min to max", or ">= min" without an upper bound).
 */
export function intOption(s: string | undefined, name: string, min: number, max = Infinity): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${name} ${s}: expected an integer ${max === Infinity ? `>= ${min}` : `from ${min} to ${max}`}`);
  }
  return n;
}
