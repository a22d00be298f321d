// avr8js's instruction step with a decode table: its avrInstruction tests up to 85 opcode masks in turn; this splits that
// chain (read from the installed avr8js) into one function per instruction and looks each opcode up once, in a 64K table.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { avrInstruction, type CPU } from 'avr8js';

export type InstructionStep = (cpu: CPU) => void;

interface Branch {
  condition: string;
  body: string;
}

/** The index of the bracket that closes the one at `open` (the source has no brackets inside strings or comments that matter here). */
function closing(src: string, open: number): number {
  const pair: Record<string, string> = { '(': ')', '{': '}' };
  const want = pair[src[open]!]!;
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i]!;
    if (c === src[open]) depth++;
    else if (c === want && --depth === 0) return i;
    else if (c === '/' && src[i + 1] === '*') i = src.indexOf('*/', i + 2) + 1;
    else if (c === '/' && src[i + 1] === '/') i = src.indexOf('\n', i);
  }
  throw new Error(`unbalanced ${src[open]} at ${open}`);
}

/** Splits avrInstruction's body into its if / else-if branches and the tail every instruction runs. */
export function parseInstructionSource(src: string): { prelude: string; branches: Branch[]; tail: string } {
  const fnAt = src.indexOf('export function avrInstruction(cpu)');
  if (fnAt < 0) throw new Error('avrInstruction(cpu) not found');
  const prelude = src.slice(0, fnAt).replace(/^export /gm, '');
  const bodyOpen = src.indexOf('{', fnAt);
  const bodyClose = closing(src, bodyOpen);
  const body = src.slice(bodyOpen + 1, bodyClose);
  const decl = 'const opcode = cpu.progMem[cpu.pc];';
  let at = body.indexOf(decl);
  if (at < 0) throw new Error(`"${decl}" not found`);
  at += decl.length;
  const branches: Branch[] = [];
  for (;;) {
    const rest = body.slice(at);
    const m = /^\s*(else\s+)?if\s*\(/.exec(rest);
    if (!m || (branches.length === 0) === !!m[1]) break;
    const condOpen = at + m[0].length - 1;
    const condClose = closing(body, condOpen);
    const blockOpen = body.indexOf('{', condClose);
    if (body.slice(condClose + 1, blockOpen).trim() !== '') throw new Error('a branch without braces');
    const blockClose = closing(body, blockOpen);
    branches.push({ condition: body.slice(condOpen + 1, condClose), body: body.slice(blockOpen + 1, blockClose) });
    at = blockClose + 1;
  }
  const tail = body.slice(at);
  if (/\belse\b/.test(tail) || branches.length < 50) throw new Error(`unexpected shape: ${branches.length} branches, tail ${JSON.stringify(tail.slice(0, 80))}`);
  return { prelude, branches, tail };
}

/** Builds the table-driven step from avr8js's instruction source. */
export function buildFastInstruction(src: string): InstructionStep {
  const { prelude, branches, tail } = parseInstructionSource(src);
  // One module-like scope: the prelude's helpers (isTwoWordInstruction), the conditions and one handler per branch.
  const code = `${prelude}
const conditions = [${branches.map((b) => `(opcode) => (${b.condition})`).join(',\n')}];
const handlers = [
  (cpu, opcode) => {${tail}},
  ${branches.map((b) => `(cpu, opcode) => {${b.body}\n${tail}}`).join(',\n')}
];
return { conditions, handlers };`;
  const { conditions, handlers } = new Function(code)() as { conditions: ((op: number) => boolean)[]; handlers: ((cpu: CPU, op: number) => void)[] };
  // Entry k + 1 is the first branch whose condition holds, as the if / else-if chain would pick; 0 is none.
  const table = new Uint8Array(0x10000);
  for (let op = 0; op < 0x10000; op++) {
    const k = conditions.findIndex((c) => c(op));
    table[op] = k + 1;
  }
  return (cpu: CPU) => {
    const opcode = cpu.progMem[cpu.pc]!;
    handlers[table[opcode]!]!(cpu, opcode);
  };
}

let cached: { step: InstructionStep; source: string } | null = null;

/**
 * The table-driven step for the installed avr8js, or its own avrInstruction if its source has a shape this does not
 * know (a new avr8js version): slower, never wrong. `source` says which.
 */
export function fastInstruction(): { step: InstructionStep; source: string } {
  if (cached) return cached;
  try {
    const pkg = path.dirname(createRequire(import.meta.url).resolve('avr8js/package.json'));
    const file = path.join(pkg, 'dist', 'esm', 'cpu', 'instruction.js');
    cached = { step: buildFastInstruction(readFileSync(file, 'utf8')), source: `decode table built from ${file}` };
  } catch (e) {
    cached = { step: avrInstruction, source: `avr8js avrInstruction (no decode table: ${(e as Error).message})` };
  }
  return cached;
}
