// Starts a worker thread on a TypeScript module: Node 20 workers do not inherit tsx's loader, so a tiny bootstrap registers it first.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker running `entry` (a .ts module URL), with tsx's loader registered in the worker before it is imported. */
export function tsWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  // Resolved here so it works from any working directory and under any parent loader (tsx CLI, tap, plain node).
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
