// Every import under host/ goes down the layer order of host/layers.ts (or sideways within a rank), never into test/ or bench/, and no folder cycle.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { LAYERS } from '../../host/layers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HOST = path.join(ROOT, 'host');
const CODE = /\.(ts|mts|mjs|js)$/;

/** One import edge: the importing file and the file it names, both relative to the repository root. */
interface Edge { from: string; to: string; spec: string }

function codeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' ? [] : codeFiles(p);
    return CODE.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative module specifiers of one file: import/export from, import(), and new URL('x', import.meta.url) (workers). */
export function specifiers(fileName: string, text: string): string[] {
  const src = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteralLike(n.arguments[0])) out.push(n.arguments[0].text);
    else if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'URL' && n.arguments?.length === 2) {
      const [a, b] = n.arguments;
      if (ts.isStringLiteralLike(a!) && b!.getText(src) === 'import.meta.url') out.push(a.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out.filter((s) => s.startsWith('.'));
}

/** The host folder a repository path belongs to ('host/link/x.ts' -> 'link'); null outside host/ or at its top. */
const folderOf = (rel: string): string | null => {
  const parts = rel.split('/');
  return parts[0] === 'host' && parts.length > 2 ? parts[1]! : null;
};

/** Everything wrong with these edges under `layers`, one readable line each. */
export function violations(edges: Edge[], layers: readonly (readonly string[])[]): string[] {
  const rank = new Map(layers.flatMap((r, i) => r.map((f) => [f, i] as const)));
  const bad: string[] = [];
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (!e.to.startsWith('host/')) {
      if (CODE.test(e.to)) bad.push(`${e.from}: imports '${e.spec}' from outside host/ (${e.to}); production code must not depend on test/ or bench/: move the shared part into host/`);
      continue;
    }
    if (a === null || b === null || a === b) continue;
    for (const f of [a, b]) if (!rank.has(f)) bad.push(`${e.from}: folder host/${f} is in no layer; add it to LAYERS in host/layers.ts (and the README layout)`);
    const ra = rank.get(a);
    const rb = rank.get(b);
    if (ra === undefined || rb === undefined) continue;
    if (rb < ra) bad.push(`${e.from}: imports '${e.spec}' upward (${a} is below ${b} in host/layers.ts); move the shared part down or hand it in`);
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)!.add(b);
  }
  bad.push(...folderCycles(graph).map((c) => `folder cycle: ${c.join(' -> ')}; ${edgeList(edges, c)}`));
  return [...new Set(bad)];
}

/** The file imports that make up a cycle, so the message names what to move. */
function edgeList(edges: Edge[], cycle: string[]): string {
  const steps = cycle.slice(1).map((to, i) => [cycle[i]!, to] as const);
  return steps.map(([a, b]) => edges.find((e) => folderOf(e.from) === a && folderOf(e.to) === b)).map((e) => `${e!.from} imports '${e!.spec}'`).join(', ');
}

/** Each elementary cycle found by depth-first search, as [a, b, ..., a]; one per strongly connected knot is enough to fail. */
function folderCycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const walk = (n: string): void => {
    const at = stack.indexOf(n);
    if (at >= 0) {
      found.push([...stack.slice(at), n]);
      return;
    }
    if (done.has(n)) return;
    stack.push(n);
    for (const m of graph.get(n) ?? []) walk(m);
    stack.pop();
    done.add(n);
  };
  for (const n of graph.keys()) walk(n);
  return found;
}

function hostEdges(): Edge[] {
  return codeFiles(HOST).flatMap((file) => {
    const from = path.relative(ROOT, file).split(path.sep).join('/');
    return specifiers(file, readFileSync(file, 'utf8')).map((spec) => ({ from, spec, to: path.relative(ROOT, path.resolve(path.dirname(file), spec)).split(path.sep).join('/') }));
  });
}

t.test('every import under host/ goes down the layer order, with no folder cycle', async (t) => {
  const edges = hostEdges();
  t.ok(edges.length > 300, `found the imports (${edges.length})`);
  t.same(violations(edges, LAYERS), []);
});

t.test('every host/ folder has a rank, and no folder has two', async (t) => {
  const folders = readdirSync(HOST).filter((f) => statSync(path.join(HOST, f)).isDirectory());
  const ranked = LAYERS.flat();
  t.same(folders.filter((f) => !ranked.includes(f)), [], 'folders missing from host/layers.ts');
  t.equal(new Set(ranked).size, ranked.length, 'a folder listed twice');
});

t.test('every host/ folder is in the README layout table and its layer list, in the order of host/layers.ts', async (t) => {
  const folders = readdirSync(HOST).filter((f) => statSync(path.join(HOST, f)).isDirectory()).sort();
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const layout = [...readme.matchAll(/^host\/([a-z-]+) /gm)].map((m) => m[1]!);
  t.same([...layout].sort(), folders, 'README "Layout" lists each host/ folder once (add a line "host/NAME  what it holds")');
  const list = /Layers, top first[\s\S]*?```\n([\s\S]*?)```/.exec(readme);
  t.ok(list, 'README has the "Layers, top first" block');
  const ranks = list![1]!.trim().split('\n').map((l) => l.split(',').map((f) => f.trim()));
  t.same(ranks, LAYERS, 'README layer list = host/layers.ts (update both together)');
});

t.test('the check finds an upward import, a folder cycle and an import of test code', async (t) => {
  const layers = [['runtime'], ['skills'], ['link']];
  const up = violations([{ from: 'host/link/a.ts', to: 'host/skills/b.ts', spec: '../skills/b.ts' }], layers);
  t.match(up, [/host\/link\/a\.ts: imports '\.\.\/skills\/b\.ts' upward/]);
  const cycle = violations([
    { from: 'host/runtime/a.ts', to: 'host/runtime2/b.ts', spec: '../runtime2/b.ts' },
    { from: 'host/runtime2/b.ts', to: 'host/runtime/c.ts', spec: '../runtime/c.ts' },
  ], [['runtime', 'runtime2']]);
  t.match(cycle, [/folder cycle: runtime -> runtime2 -> runtime; host\/runtime\/a\.ts imports/]);
  const fromTest = violations([{ from: 'host/planner/a.ts', to: 'test/planner/testing/x.ts', spec: '../../test/planner/testing/x.ts' }], layers);
  t.match(fromTest, [/host\/planner\/a\.ts: imports .* from outside host\//]);
  t.same(violations([{ from: 'host/runtime/a.ts', to: 'host/link/b.ts', spec: '../link/b.ts' }], layers), [], 'downward is fine');
});

t.test('specifiers: static, re-export, dynamic and worker URLs; packages are not folders', async (t) => {
  const src = `import a from './a.ts'; export { b } from '../b.ts'; const c = await import('./c.ts');
    new Worker(new URL('../d.ts', import.meta.url)); import z from 'zod'; new URL('x', base);`;
  t.same(specifiers('x.ts', src), ['./a.ts', '../b.ts', './c.ts', '../d.ts']);
});
