// `ganglion memory`: list, delete and import the planner's corrections memory (DROC): what operators corrected, in which task, and how it ended.
import { badLinesProblem, defaultMemoryFile, MemoryStore, retrieve, type MemoryEntry } from '../planner/memory.ts';
import { parseCommand, type Out } from './args.ts';

const HELP = `usage: ganglion memory <list|delete|import> [options]

The planner's corrections memory: every language correction given while a task ran, with who gave it
(source), the task and skill, and how the step and the task ended. The planner shows the most similar
ones to the LLM for a new task, as data.

  ganglion memory list [--task TEXT] [--json]   all entries, oldest first; with --task, the ones the
                                                planner would retrieve for that task, best first
  ganglion memory delete ID                     remove one entry (e.g. a wrong or hostile one)
  ganglion memory import LOG                    copy in the runtime's corrections log (JSON lines),
                                                once per line

  --file FILE   the memory file (default: $GANGLION_MEMORY_FILE or ~/.ganglion/memory.jsonl)
`;

function line(e: MemoryEntry, score?: number): string {
  const outcome = `step ${e.outcome.step ?? '?'}, task ${e.outcome.task ?? '?'}`;
  const sim = score === undefined ? '' : `  similarity ${score.toFixed(2)}`;
  // JSON.stringify: phrases and tasks are operator text and may hold anything, including newlines.
  return `${e.id}  ${e.created_at}  from ${JSON.stringify(e.source)}  ${e.skill ?? '-'}  ${JSON.stringify(e.phrase)}  task ${JSON.stringify(e.task)}  (${outcome})${sim}`;
}

export async function memoryMain(argv: string[], out: Out = (s) => process.stdout.write(s), err: Out = (s) => process.stderr.write(s)): Promise<number> {
  const parsed = parseCommand('memory', HELP, argv, { file: { type: 'string' }, task: { type: 'string' }, json: { type: 'boolean' } }, { positionals: true, out, err });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const [cmd, ...rest] = positionals;
  if (!cmd) {
    out(HELP);
    return 2;
  }
  const store = new MemoryStore(values.file ?? defaultMemoryFile());
  if (cmd === 'list') {
    const read = store.read();
    const problem = badLinesProblem(store.file, read.bad_lines);
    if (problem) err(`${problem}\n`);
    const rows = values.task ? retrieve(read.entries, values.task, read.entries.length, 0.01) : read.entries.map((entry) => ({ entry, score: undefined }));
    if (values.json) for (const r of rows) out(JSON.stringify(r.score === undefined ? r.entry : { ...r.entry, similarity: r.score }) + '\n');
    else {
      if (rows.length === 0) out(`no entries${values.task ? ' similar to that task' : ''} in ${store.file}\n`);
      for (const r of rows) out(line(r.entry, r.score) + '\n');
    }
    return 0;
  }
  if (cmd === 'delete') {
    if (rest.length !== 1) {
      err('ganglion memory delete: give exactly one ID (see ganglion memory list)\n');
      return 2;
    }
    if (!store.delete(rest[0]!)) {
      err(`ganglion memory delete: no entry ${rest[0]} in ${store.file}\n`);
      return 1;
    }
    out(`deleted ${rest[0]}\n`);
    return 0;
  }
  if (cmd === 'import') {
    if (rest.length !== 1) {
      err('ganglion memory import: give the corrections log file\n');
      return 2;
    }
    const r = store.importCorrectionLog(rest[0]!);
    out(`imported ${r.added} corrections from ${rest[0]} into ${store.file}${r.bad_lines.length ? ` (lines ${r.bad_lines.join(', ')} of the log were not valid)` : ''}\n`);
    return 0;
  }
  err(`ganglion memory: unknown command "${cmd}"\n\n${HELP}`);
  return 2;
}

/** The CLI dispatcher's entry point (host/cli/main.ts loads `main`). */
export const main = (argv: string[]) => memoryMain(argv);
