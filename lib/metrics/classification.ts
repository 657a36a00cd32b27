/** Classification metrics on plain arrays (callers do `argMax(...).dataSync()` first). */
import { CourseError } from '../errors.js';

export function accuracy(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (pred.length !== truth.length) {
    throw new CourseError(`accuracy got ${pred.length} predictions for ${truth.length} labels`, 'pass one prediction per example');
  }
  if (pred.length === 0) return 0;
  let hits = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === truth[i]) hits++;
  return hits / pred.length;
}

/** rows = true class, columns = predicted class */
export function confusionMatrix(pred: ArrayLike<number>, truth: ArrayLike<number>, numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < pred.length; i++) {
    const t = truth[i]!;
    const p = pred[i]!;
    if (t < 0 || t >= numClasses || p < 0 || p >= numClasses) {
      throw new CourseError(`class index out of range at example ${i} (truth ${t}, predicted ${p})`, `labels must be 0..${numClasses - 1}`);
    }
    m[t]![p]!++;
  }
  return m;
}
