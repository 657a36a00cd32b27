/**
 * For native-only tests: load tfjs-node if it is installed and loads, so its 'tensorflow'
 * backend is registered (whatever backend the run chose). Resolve to whether it is available.
 * Use at module level (`const native = await loadNativeBackend()`) so `describe.runIf(native)`
 * sees the answer when tests are collected.
 */
import * as tf from '@tensorflow/tfjs';

export async function loadNativeBackend(): Promise<{ available: boolean; reason: string | null }> {
  try {
    await import('@tensorflow/tfjs-node');
  } catch (err) {
    return { available: false, reason: (err instanceof Error ? err.message : String(err)).split('\n')[0]! };
  }
  const registered = tf.findBackend('tensorflow') !== undefined || 'tensorflow' in tf.engine().registryFactory;
  return registered ? { available: true, reason: null } : { available: false, reason: "tfjs-node loaded but registered no 'tensorflow' backend" };
}
