// Picks the TF.js backend for policy inference: tfjs-node where it is installed, else WebAssembly (its .wasm files from node_modules), else plain JS.
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type PolicyBackend = 'tensorflow' | 'wasm' | 'cpu';

/** Fastest first: native libtensorflow, then wasm (SIMD), then the pure-JS kernels that always work. */
export const BACKEND_ORDER: readonly PolicyBackend[] = ['tensorflow', 'wasm', 'cpu'];

// A variable, so TypeScript does not require the package: it is optional and cannot install everywhere
// (its install script downloads libtensorflow).
const TFJS_NODE = '@tensorflow/tfjs-node';

let wasmPathsSet = false;
// The backend-wasm import registers wasm above cpu; every tensor made before a backend is set would fail, so
// the first use of TF.js anywhere goes through initPolicyBackend.
let initialised: Promise<PolicyBackend> | null = null;

// The cpu backend prints a "install tfjs-node" banner on first use in Node; PROD silences TF.js's console warnings.
tf.env().set('PROD', true);

/** The folder holding tfjs-backend-wasm's .wasm files; Node loads them from disk, not over HTTP. */
export function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

/** Switches TF.js to one backend; false when that backend cannot run here. */
export async function useBackend(name: PolicyBackend): Promise<boolean> {
  if (name === 'tensorflow') {
    try {
      await import(TFJS_NODE);
    } catch {
      return false;
    }
  }
  if (name === 'wasm' && !wasmPathsSet) {
    setWasmPaths(wasmDir());
    wasmPathsSet = true;
  }
  try {
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    return tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Sets the first backend of `order` that works, once per process (later calls return the same
 * answer). GANGLION_TF_BACKEND=wasm|cpu|tensorflow puts that one first.
 */
export function initPolicyBackend(order: readonly PolicyBackend[] = BACKEND_ORDER): Promise<PolicyBackend> {
  initialised ??= (async () => {
    const forced = process.env.GANGLION_TF_BACKEND as PolicyBackend | undefined;
    const tries = forced && BACKEND_ORDER.includes(forced) ? [forced, ...order.filter((b) => b !== forced)] : order;
    for (const b of tries) if (await useBackend(b)) return b;
    throw new Error(`no TF.js backend could start (tried ${tries.join(', ')})`);
  })();
  return initialised;
}
