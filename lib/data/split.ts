/** Seeded train/val/test splits, mini-batches and feature standardisation. */
import { CourseError } from '../errors.js';
import { makeRng, shuffled, type Rng } from '../random.js';

export interface Split {
  train: number[];
  val: number[];
  test: number[];
}

/**
 * Splits indices 0..n-1 so that every class is divided in the same proportions
 * (per class: round(count*test) to test, round(count*val) to val, the rest to train).
 * Each part comes back in a seeded shuffled order, so classes are mixed.
 */
export function stratifiedSplit(labels: ArrayLike<number>, fractions: { val?: number; test?: number }, seed: number): Split {
  const { val = 0, test = 0 } = fractions;
  for (const [name, f] of [['val', val], ['test', test]] as const) {
    if (!(Number.isFinite(f) && f >= 0 && f < 1)) {
      throw new CourseError(`stratifiedSplit: ${name} fraction must be in [0, 1), got ${f}`, 'pass e.g. { val: 0.1, test: 0.2 }');
    }
  }
  if (val + test >= 1) {
    throw new CourseError(`stratifiedSplit: val + test = ${val + test} leaves nothing to train on`, 'keep val + test below 1, e.g. 0.2 + 0.2');
  }
  if (!Number.isInteger(seed)) throw new CourseError(`stratifiedSplit: seed must be an integer, got ${seed}`, 'pass e.g. 42');

  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (!Number.isInteger(y)) {
      throw new CourseError(`stratifiedSplit: label ${y} at index ${i} is not an integer class id`, 'pass integer class ids (0, 1, 2, …)');
    }
    const members = byClass.get(y) ?? [];
    members.push(i);
    byClass.set(y, members);
  }

  const rng = makeRng(seed);
  const out: Split = { train: [], val: [], test: [] };
  // Visit classes in a fixed order so the result doesn't depend on the order labels appear in.
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = shuffled(byClass.get(cls)!, rng);
    const nTest = Math.min(members.length, Math.round(members.length * test));
    const nVal = Math.min(members.length - nTest, Math.round(members.length * val));
    out.test.push(...members.slice(0, nTest));
    out.val.push(...members.slice(nTest, nTest + nVal));
    out.train.push(...members.slice(nTest + nVal));
  }
  return { train: shuffled(out.train, rng), val: shuffled(out.val, rng), test: shuffled(out.test, rng) };
}

/** Splits 0..n-1 into batches of `batchSize` (the last may be smaller); shuffled when an rng is given. */
export function batchIndices(n: number, batchSize: number, rng?: Rng): number[][] {
  if (!(Number.isInteger(n) && n >= 0)) throw new CourseError(`batchIndices: n must be a non-negative integer, got ${n}`, 'pass the number of examples');
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new CourseError(`batchIndices: batchSize must be a positive integer, got ${batchSize}`, 'pass e.g. 32');
  }
  const order = Array.from({ length: n }, (_, i) => i);
  const indices = rng ? shuffled(order, rng) : order;
  const batches: number[][] = [];
  for (let start = 0; start < n; start += batchSize) batches.push(indices.slice(start, start + batchSize));
  return batches;
}

export interface Standardizer {
  mean: number[];
  /** population std per column; a constant column reports 1 so apply() maps it to 0 instead of dividing by 0 */
  std: number[];
  apply(rows: number[][]): number[][];
}

/**
 * Column means and standard deviations of `rows`. Pass the TRAINING rows only and apply the
 * result to val/test too: statistics from held-out data would leak it into training.
 */
export function standardize(rows: number[][]): Standardizer {
  if (!Array.isArray(rows) || rows.length === 0 || !Array.isArray(rows[0]) || rows[0].length === 0) {
    throw new CourseError('standardize: needs at least one row with at least one column', 'pass the training feature rows, e.g. standardize(train.map((i) => features[i]))');
  }
  const cols = rows[0].length;
  const check = (data: number[][], who: string): void => {
    data.forEach((row, r) => {
      if (!Array.isArray(row) || row.length !== cols) {
        throw new CourseError(`${who}: row ${r} has ${Array.isArray(row) ? row.length : 'no'} columns, expected ${cols}`, 'every row needs the same features in the same order');
      }
      const c = row.findIndex((v) => !Number.isFinite(v));
      if (c >= 0) throw new CourseError(`${who}: row ${r} column ${c} is ${row[c]}`, 'remove or fill in missing/non-finite values first');
    });
  };
  check(rows, 'standardize');

  const mean = new Array<number>(cols).fill(0);
  for (const row of rows) for (let c = 0; c < cols; c++) mean[c]! += row[c]! / rows.length;
  const std = new Array<number>(cols).fill(0);
  for (const row of rows) for (let c = 0; c < cols; c++) std[c]! += (row[c]! - mean[c]!) ** 2 / rows.length;
  for (let c = 0; c < cols; c++) {
    const s = Math.sqrt(std[c]!);
    // Tiny spreads are rounding noise around a constant column; scaling them up would amplify it.
    std[c] = s > 1e-12 * Math.max(1, Math.abs(mean[c]!)) ? s : 1;
  }
  return {
    mean,
    std,
    apply(data: number[][]): number[][] {
      check(data, 'standardize.apply');
      return data.map((row) => row.map((v, c) => (v - mean[c]!) / std[c]!));
    },
  };
}
