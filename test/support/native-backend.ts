/**
 * For native-only tests: load tfjs-node if it is installed and loads, so its 'tensorflow'
 * backend is registered (whatever backend the run chose). Resolve to whether it is available.
 * Use at module level (`const native = await loadNativeBackend()`) so `describe.runIf(native)`
 * sees the answer when tests are collected.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, expect } from 'vitest';

export async function loadNativeBackend(): Promise<{ available: boolean; reason: string | null }> {
  try {
    await import('@tensorflow/tfjs-node');
  } catch (err) {
    return { available: false, reason: (err instanceof Error ? err.message : String(err)).split('\n')[0]! };
  }
  const registered = tf.findBackend('tensorflow') !== undefined || 'tensorflow' in tf.engine().registryFactory;
  return registered ? { available: true, reason: null } : { available: false, reason: "tfjs-node loaded but registered no 'tensorflow' backend" };
}

/**
 * Run this test file on the 'tensorflow' backend when `native` (from loadNativeBackend) and put
 * the previous backend back afterwards. Call at module level.
 */
export function useNativeBackend(native: boolean): void {
  let before = '';
  beforeAll(async () => {
    before = tf.getBackend();
    if (native) expect(await tf.setBackend('tensorflow')).toBe(true);
  });
  afterAll(async () => {
    if (before && before !== tf.getBackend()) await tf.setBackend(before);
  });
}
