/** Guards for training: NaN/Inf detection and a tensor-leak counter used by tests. */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';

/** Throw a CourseError if any logged value is NaN or ±Infinity. */
export function checkFinite(logs: Record<string, number>, where: string): void {
  for (const [name, value] of Object.entries(logs)) {
    if (!Number.isFinite(value)) {
      throw new CourseError(
        `${name} became ${value} at ${where}`,
        'lower the learning rate, look for log(0) or a division by zero (add a small epsilon, or use the fromLogits form of the loss), and consider gradient clipping',
      );
    }
  }
}

/**
 * How many tensors one extra call of `fn` leaves behind (0 = no leak). The first call is a
 * warm-up (it may create lazily-built weights or optimizer slots); then `repeats` calls are
 * measured. Whatever `fn` returns is disposed if it is a tensor (or an array/object of them).
 */
export async function countLeak(fn: () => unknown | Promise<unknown>, repeats = 3): Promise<number> {
  const run = async () => {
    const out = await fn();
    disposeDeep(out);
  };
  await run();
  const before = tf.memory().numTensors;
  for (let i = 0; i < repeats; i++) await run();
  return (tf.memory().numTensors - before) / repeats;
}

function disposeDeep(value: unknown, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof tf.Tensor) {
    if (!value.isDisposed && !(value instanceof tf.Variable)) value.dispose();
    return;
  }
  if (value instanceof tf.LayersModel) return; // models own their weights
  for (const v of Array.isArray(value) ? value : Object.values(value)) disposeDeep(v, seen);
}
