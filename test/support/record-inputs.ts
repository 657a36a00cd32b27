/**
 * Which of a known set of images a model was given, in order: for tests that must observe a
 * training loop's batches (shuffling, batch size, each image once per epoch) without trusting
 * anything the student's code reports. Each image is a distinct constant (image i = values[i]
 * everywhere), so a row matches only if its first and last entries both equal values[i]; a
 * generated or transformed row never does. The recorder wraps `apply` and `predict` on this
 * model instance only (no tfjs patching, nothing for the tamper checks to see).
 */
import * as tf from '@tensorflow/tfjs';

export function recordImageRows(model: tf.LayersModel, values: readonly number[]): number[] {
  const seen: number[] = [];
  const record = (input: unknown): void => {
    for (const t of (Array.isArray(input) ? input : [input]) as unknown[]) {
      if (!(t instanceof tf.Tensor) || t.rank !== 4 || t.shape[0] === 0) continue;
      const v = t.dataSync();
      const per = v.length / t.shape[0]!;
      for (let r = 0; r < t.shape[0]!; r++) {
        const i = values.indexOf(v[r * per]!);
        if (i >= 0 && v[r * per + per - 1] === values[i]) seen.push(i);
      }
    }
  };
  const target = model as unknown as Record<'apply' | 'predict', (...args: unknown[]) => unknown>;
  for (const key of ['apply', 'predict'] as const) {
    const original = target[key]!.bind(model);
    target[key] = (...args: unknown[]) => {
      record(args[0]);
      return original(...args);
    };
  }
  return seen;
}

/** n images [n, 28, 28, 1], image i filled with values[i] (distinct float32 constants in [−1, 1)). */
export function constantImages(n: number): { images: tf.Tensor4D; values: number[] } {
  const values = Array.from({ length: n }, (_, i) => Math.fround(-1 + (2 * i + 1) / (2 * n)));
  const images = tf.tidy(() => tf.stack(values.map((v) => tf.fill([28, 28, 1], v))) as tf.Tensor4D);
  return { images, values };
}
