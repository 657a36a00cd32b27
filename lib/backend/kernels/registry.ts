/**
 * Registering replacement kernels while keeping the originals, so tests can compare a fast
 * kernel against the one it replaces (or against tfjs's cpu reference).
 */
import * as tf from '@tensorflow/tfjs';

const originals = new Map<string, tf.KernelConfig | null>();
const installed = new Map<string, tf.KernelFunc>();

function key(kernelName: string, backendName: string): string {
  return `${backendName}/${kernelName}`;
}

/**
 * Install `kernelFunc` for (kernelName, backendName), replacing any existing kernel without the
 * "already registered" warning. Idempotent: a second call with the same function does nothing.
 */
export function installKernel(kernelName: string, backendName: string, kernelFunc: tf.KernelFunc): void {
  const k = key(kernelName, backendName);
  if (installed.get(k) === kernelFunc) return;
  const existing = tf.getKernel(kernelName, backendName) ?? null;
  if (!originals.has(k)) originals.set(k, existing ? { ...existing } : null);
  if (existing) tf.unregisterKernel(kernelName, backendName);
  // Keep the original's setup/dispose hooks: a backend initialised later runs the setupFunc of
  // each registered kernel, and the original kernel (our fallback path) needs it.
  const orig = originals.get(k);
  tf.registerKernel({ kernelName, backendName, kernelFunc, setupFunc: orig?.setupFunc, disposeFunc: orig?.disposeFunc });
  installed.set(k, kernelFunc);
}

/** The kernel tfjs shipped for this backend before we replaced it (null: it had none). */
export function originalKernel(kernelName: string, backendName: string): tf.KernelConfig | null {
  const k = key(kernelName, backendName);
  if (originals.has(k)) return originals.get(k) ?? null;
  return tf.getKernel(kernelName, backendName) ?? null;
}

/** Names of the kernels this module installed for a backend. */
export function installedKernels(backendName: string): string[] {
  const prefix = `${backendName}/`;
  return [...installed.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
}

/**
 * Put the original kernel back (used by benchmarks to measure "before"); `installKernel` can
 * install the fast one again afterwards.
 */
export function restoreOriginalKernel(kernelName: string, backendName: string): void {
  const k = key(kernelName, backendName);
  if (!installed.has(k)) return;
  tf.unregisterKernel(kernelName, backendName);
  const orig = originals.get(k);
  if (orig) tf.registerKernel(orig);
  installed.delete(k);
}
