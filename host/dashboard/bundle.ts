// Bundles the page's TypeScript and CSS (uPlot, mqtt, zod, the topic schemas) with esbuild, in memory, once per process.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface PageAssets {
  html: Buffer;
  js: Buffer;
  css: Buffer;
}

const WEB = fileURLToPath(new URL('./web/', import.meta.url));

async function bundle(): Promise<PageAssets> {
  const debug = process.env.GANGLION_DASHBOARD_DEBUG === '1';
  const r = await build({
    entryPoints: [`${WEB}main.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Top-level await (the page reads its config before anything else).
    target: 'es2022',
    // GANGLION_DASHBOARD_DEBUG=1: readable code and an inline source map, for profiling the page.
    minify: !debug,
    sourcemap: debug ? 'inline' : false,
    write: false,
    outdir: '/dashboard-out',
    entryNames: 'app',
    logLevel: 'silent',
    // mqtt's browser build is self-contained; no Node built-ins may sneak into the page.
    conditions: ['browser'],
  });
  const out = (ext: string) => {
    const f = r.outputFiles.find((o) => o.path.endsWith(ext));
    if (!f) throw new Error(`the dashboard bundle has no ${ext} output`);
    return Buffer.from(f.contents);
  };
  return { html: await readFile(`${WEB}index.html`), js: out('.js'), css: out('.css') };
}

let cached: Promise<PageAssets> | null = null;

/** The page's files; built on first use (a few hundred ms) and shared by every dashboard server in the process. */
export function pageAssets(): Promise<PageAssets> {
  cached ??= bundle().catch((e: unknown) => {
    cached = null;
    throw new Error(`cannot bundle the dashboard page: ${(e as Error).message}`);
  });
  return cached;
}
