// The skill registry: built-in skills plus skill packages from a folder; validates args with zod and lists tools (name, description, JSON Schema) for a planner.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { BUILTIN_SKILLS } from './builtin/index.ts';
import type { AnySkill } from './contract.ts';
import { zodIssue } from '../util/zod-issue.ts';
import { readJsonFile } from '../util/read-json.ts';

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema (draft 2020-12) of the args, as zod 4's z.toJSONSchema writes it. */
  parameters: Record<string, unknown>;
}

const fn = z.custom<(...a: never[]) => unknown>((v) => typeof v === 'function', 'a function');

/** What a package must export for each skill; checked when it loads, since a package is a file we did not write. */
const SkillShape = z.looseObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'a skill name is 1-48 characters of a-z, 0-9, _ starting with a letter'),
  description: z.string().min(1).max(2000),
  args: z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'a zod 4 schema (import { z } from "zod")'),
  preconditions: z.array(z.looseObject({ text: z.string(), holds: fn })),
  affordance: fn,
  timeout_s: fn,
  start: fn,
  step: fn,
  done: fn,
  failed: fn,
  cancel: fn.optional(),
});

export class SkillRegistry {
  private readonly skills = new Map<string, AnySkill>();

  /** Adds a skill; throws when the name is taken or the skill is malformed (the error names the field). */
  register(skill: AnySkill, origin = 'built-in'): void {
    const r = SkillShape.safeParse(skill);
    if (!r.success) throw new Error(`skill ${JSON.stringify((skill as { name?: unknown })?.name ?? '?')} from ${origin}: ${zodIssue(r.error)}`);
    if (this.skills.has(skill.name)) throw new Error(`skill "${skill.name}" from ${origin}: the name is already registered`);
    // Fails early for schemas JSON Schema cannot express (transforms, custom types): the planner could not call them.
    try {
      z.toJSONSchema(skill.args, { io: 'input' });
    } catch (e) {
      throw new Error(`skill "${skill.name}" from ${origin}: args cannot be exported as JSON Schema: ${(e as Error).message}`);
    }
    this.skills.set(skill.name, skill);
  }

  get(name: string): AnySkill {
    const s = this.skills.get(name);
    if (!s) throw new Error(`unknown skill "${name}"; registered: ${this.names().join(', ')}`);
    return s;
  }

  has(name: string): boolean {
    return this.skills.has(name);
  }

  names(): string[] {
    return [...this.skills.keys()];
  }

  /** Validates args against the skill's schema; the error names the skill and the field, and nothing runs. */
  parseArgs(name: string, args: unknown): unknown {
    const s = this.get(name);
    const r = s.args.safeParse(args ?? {});
    if (!r.success) throw new Error(`skill "${name}": bad args: ${zodIssue(r.error)}`);
    return r.data;
  }

  /** Tool definitions for an LLM's tool calling. The input side of the schema: defaults are optional there. */
  tools(): ToolSpec[] {
    return [...this.skills.values()].map((s) => ({
      name: s.name,
      description: s.description,
      parameters: z.toJSONSchema(s.args, { io: 'input' }) as Record<string, unknown>,
    }));
  }
}

export function createRegistry(options: { builtins?: boolean } = {}): SkillRegistry {
  const r = new SkillRegistry();
  if (options.builtins !== false) for (const s of BUILTIN_SKILLS) r.register(s);
  return r;
}

export interface PackageLoadReport {
  /** file -> names of the skills it added. */
  loaded: { file: string; skills: string[] }[];
  /** One clear sentence per package that failed; the other packages still load. */
  errors: { file: string; error: string }[];
}

/** What a command prints after loading packages from dir: the skills found, then one line per package refused. */
export function packageReportLines(dir: string, r: PackageLoadReport): string[] {
  return [`skills from ${dir}: ${r.loaded.flatMap((l) => l.skills).join(', ') || 'none'}`, ...r.errors.map((e) => `skills: ${e.error}`)];
}

/** Skills a module exports: `default` (a skill or an array), `skills` (an array), or any named export that is a skill. */
function exportedSkills(mod: Record<string, unknown>): unknown[] {
  const found: unknown[] = [];
  for (const [key, v] of Object.entries(mod)) {
    if ((key === 'default' || key === 'skills') && Array.isArray(v)) found.push(...v);
    else if (v && typeof v === 'object' && 'step' in v && 'name' in v) found.push(v);
  }
  return found;
}

/**
 * Loads every .ts/.js/.mjs module in dir (not recursive, sorted, so the order is stable) as a skill
 * package. A package that fails to import, exports no skills, or has a bad skill is reported and
 * skipped as a whole (none of its skills register), so a half-broken package cannot shadow anything.
 */
export async function loadSkillPackages(registry: SkillRegistry, dir: string): Promise<PackageLoadReport> {
  const report: PackageLoadReport = { loaded: [], errors: [] };
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.(ts|js|mjs)$/.test(f) && !f.endsWith('.d.ts'))
      .sort();
  } catch (e) {
    report.errors.push({ file: dir, error: `cannot read the skill package folder: ${(e as Error).message}` });
    return report;
  }
  for (const f of files) {
    const file = path.join(dir, f);
    if (!statSync(file).isFile()) continue;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (e) {
      report.errors.push({ file, error: `skill package ${f} failed to load: ${(e as Error).message.split('\n')[0]}` });
      continue;
    }
    addPackage(registry, report, file, f, exportedSkills(mod));
  }
  // A learned skill is a folder with policy.json (as `ganglion train` writes it): loaded with its model, checked up front.
  const fromModules = new Set(report.loaded.flatMap((l) => l.skills));
  for (const d of policyDirs(dir)) {
    const f = path.basename(d);
    // A module beside it may load the same folder itself (as policy/examples/reach.ts does): once is enough.
    if (fromModules.has(policyName(d))) continue;
    try {
      // Imported only when a policy folder is there: it brings in TF.js.
      const { loadPolicySkill } = await import('./policy/skill.ts');
      addPackage(registry, report, d, f, [await loadPolicySkill(d)]);
    } catch (e) {
      report.errors.push({ file: d, error: `learned skill ${f}: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  return report;
}

/** The skill name a policy folder declares, or '' when policy.json cannot be read (loading it then says why). */
function policyName(d: string): string {
  try {
    return readJsonFile(path.join(d, 'policy.json'), z.looseObject({ name: z.string() })).name;
  } catch {
    return '';
  }
}

/** Sub-folders of dir that hold a policy.json, sorted. */
function policyDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'policy.json')))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/** Registers one package's skills all or none: a half-broken package cannot shadow anything. */
function addPackage(registry: SkillRegistry, report: PackageLoadReport, file: string, f: string, skills: unknown[]): void {
  if (skills.length === 0) {
    report.errors.push({ file, error: `skill package ${f} exports no skills (export them as \`skills\`, \`default\`, or named skill objects)` });
    return;
  }
  const staged = new SkillRegistry();
  const names: string[] = [];
  try {
    for (const s of skills) {
      const name = (s as { name?: unknown }).name;
      if (typeof name === 'string' && registry.has(name)) throw new Error(`skill "${name}" from ${f}: the name is already registered`);
      staged.register(s as AnySkill, f);
      names.push((s as AnySkill).name);
    }
  } catch (e) {
    report.errors.push({ file, error: `skill package ${f}: ${(e as Error).message}` });
    return;
  }
  for (const n of names) registry.register(staged.get(n), f);
  report.loaded.push({ file, skills: names });
}
