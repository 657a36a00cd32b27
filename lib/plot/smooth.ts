/**
 * Exponential moving average for per-step curves, as TensorBoard draws it: s_t = α·s_{t−1} +
 * (1 − α)·x_t, divided by (1 − α^t) so the first points are not pulled towards 0. NaN steps
 * (a step that did not log the value) are skipped and stay NaN.
 */
export function ema(values: number[], alpha: number): number[] {
  if (!(alpha >= 0 && alpha < 1)) throw new RangeError(`EMA weight must be in [0, 1), got ${alpha}`);
  let acc = 0;
  let weight = 0;
  return values.map((x) => {
    if (!Number.isFinite(x)) return NaN;
    acc = alpha * acc + (1 - alpha) * x;
    weight = alpha * weight + (1 - alpha);
    return acc / weight;
  });
}

/**
 * A smoothing weight for n steps: an averaging window of about n/30 steps (α = 1 − 30/n). An
 * EMA lags the data by about its window, so a longer one would draw the training curve visibly
 * above a validation curve measured at the same moment; none below 40 steps, at most 0.98.
 * Rounded to two decimals, since it is printed in the legend.
 */
export function autoSmoothing(n: number): number {
  if (n < 40) return 0;
  return Math.min(0.98, Math.round((1 - 30 / n) * 100) / 100);
}
