// Bundles the page's TypeScript and CSS (uPlot, zod, the topic schemas) and its connection worker (mqtt, zod) with esbuild, in memory, once per process.
import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface PageAssets {
  html: Buffer;
  js: Buffer;
  css: Buffer;
  /** The MQTT connection's worker (web/connection-worker.ts), served at WORKER_URL. */
  worker: Buffer;
}

const WEB = fileURLToPath(new URL('./web/', import.meta.url));

/**
 * mqtt's browser build carries the `process` shim of npm's `process` package, whose nextTick queues a setTimeout(0)
 * task. mqtt-packet corks the socket stream for each packet and uncorks on nextTick, and mqtt.js hands the 2nd..nth
 * packet of one WebSocket message to its handlers on nextTick: so every publish the page sends, and every telemetry
 * message that shares a frame, waited for a timer task, which Chromium runs after input and rendering (measured: the
 * e-stop PUBLISH left 8.6-30 ms after the pointerdown). Node's nextTick runs before the event loop goes on; a
 * microtask is that same promise in the browser.
 */
const NEXT_TICK = /(\w+)\.push\(new (\w+)\(t,e\)\),\1\.length===1&&!(\w+)&&(?:setTimeout\((\w+),0\)|\w+\((\w+)\))/g;
export function microtaskNextTick(source: string): string {
  let n = 0;
  const out = source.replace(NEXT_TICK, (_m, queue: string, item: string, draining: string, drainA?: string, drainB?: string) => {
    n++;
    return `${queue}.push(new ${item}(t,e)),${queue}.length===1&&!${draining}&&queueMicrotask(${drainA ?? drainB})`;
  });
  // Both shims in mqtt 5's build; a build without them would silently bring the timer back.
  if (n !== 2) throw new Error(`mqtt's browser build has ${n} process.nextTick shims where 2 were expected: check microtaskNextTick against this mqtt version`);
  return out;
}

const mqttNextTick: Plugin = {
  name: 'mqtt-microtask-next-tick',
  setup(b) {
    b.onLoad({ filter: /[\\/]mqtt[\\/]dist[\\/]mqtt\.esm\.js$/ }, async (args) => ({
      contents: microtaskNextTick(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

async function bundle(): Promise<PageAssets> {
  const debug = process.env.GANGLION_DASHBOARD_DEBUG === '1';
  const r = await build({
    entryPoints: [{ in: `${WEB}main.ts`, out: 'app' }, { in: `${WEB}connection-worker.ts`, out: 'connection-worker' }],
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
    logLevel: 'silent',
    // mqtt's browser build is self-contained; no Node built-ins may sneak into the page.
    conditions: ['browser'],
    plugins: [mqttNextTick],
  });
  const out = (name: string) => {
    const f = r.outputFiles.find((o) => o.path.endsWith(`/${name}`));
    if (!f) throw new Error(`the dashboard bundle has no ${name} output`);
    return Buffer.from(f.contents);
  };
  return { html: await readFile(`${WEB}index.html`), js: out('app.js'), css: out('app.css'), worker: out('connection-worker.js') };
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
