/**
 * Fréchet distance between two sets of feature vectors, each summarised as a Gaussian
 * (mean μ, covariance C):
 *
 *   d² = |μ1 − μ2|² + Tr(C1 + C2 − 2·(C1^½ · C2 · C1^½)^½)
 *
 * This is the formula behind FID. FID uses Inception-v3 features of ImageNet-trained weights;
 * the course applies the same formula to features of its own small Fashion-MNIST classifier,
 * so its numbers are an FID-*style* score for that dataset and are not comparable to published
 * FIDs.
 *
 * Everything runs in float64 JavaScript: covariance traces are sums of small differences, and
 * float32 round-off alone would make "real vs real" visibly non-zero.
 */
import { CourseError } from '../errors.js';

export interface GaussianStats {
  mean: number[];
  /** d×d, unbiased (divides by n − 1) */
  cov: number[][];
}

/** Mean and unbiased covariance of n feature rows (n ≥ 2, all rows the same length). */
export function featureStats(rows: ArrayLike<number>[]): GaussianStats {
  const n = rows.length;
  if (n < 2) {
    throw new CourseError(`featureStats needs at least 2 feature rows, got ${n}`, 'pass more samples (a few hundred for a stable score)');
  }
  const d = rows[0]!.length;
  const mean = new Array<number>(d).fill(0);
  for (const r of rows) {
    if (r.length !== d) {
      throw new CourseError(`feature rows have different lengths (${d} and ${r.length})`, 'extract every row with the same feature layer');
    }
    for (let j = 0; j < d; j++) mean[j]! += r[j]! / n;
  }
  const cov = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const centred = new Float64Array(d);
  for (const r of rows) {
    for (let j = 0; j < d; j++) centred[j] = r[j]! - mean[j]!;
    for (let a = 0; a < d; a++) {
      const ca = centred[a]!;
      if (ca === 0) continue;
      const rowA = cov[a]!;
      for (let b = a; b < d; b++) rowA[b]! += ca * centred[b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a]![b]! / (n - 1);
      cov[a]![b] = v;
      cov[b]![a] = v;
    }
  }
  return { mean, cov };
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations.
 * Returns eigenvalues and eigenvectors as the columns of `vectors`.
 */
export function symmetricEigen(matrix: number[][], maxSweeps = 100): { values: number[]; vectors: number[][] } {
  const d = matrix.length;
  const a = matrix.map((row) => row.slice());
  const v: number[][] = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < d; p++) {
      diag += a[p]![p]! * a[p]![p]!;
      for (let q = p + 1; q < d; q++) off += a[p]![q]! * a[p]![q]!;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        // Rotation angle that zeroes a[p][q] (Numerical Recipes, "jacobi").
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: a.map((row, i) => row[i]!), vectors: v };
}

/** Square root of a symmetric positive semi-definite matrix (tiny negative eigenvalues → 0). */
export function sqrtPsd(matrix: number[][]): number[][] {
  const { values, vectors } = symmetricEigen(matrix);
  const d = matrix.length;
  const roots = values.map((x) => Math.sqrt(Math.max(x, 0)));
  const out = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += vectors[i]![k]! * roots[k]! * vectors[j]![k]!;
      out[i]![j] = s;
      out[j]![i] = s;
    }
  }
  return out;
}

function matmul(x: number[][], y: number[][]): number[][] {
  const n = x.length;
  const m = y[0]!.length;
  const inner = y.length;
  const out = Array.from({ length: n }, () => new Array<number>(m).fill(0));
  for (let i = 0; i < n; i++) {
    const row = out[i]!;
    for (let k = 0; k < inner; k++) {
      const xik = x[i]![k]!;
      if (xik === 0) continue;
      const yk = y[k]!;
      for (let j = 0; j < m; j++) row[j]! += xik * yk[j]!;
    }
  }
  return out;
}

/** d² between two Gaussians. Never negative (round-off is clamped at 0). */
export function frechetDistanceFromStats(s1: GaussianStats, s2: GaussianStats): number {
  const d = s1.mean.length;
  if (s2.mean.length !== d) {
    throw new CourseError(`feature sizes differ (${d} vs ${s2.mean.length})`, 'compare features taken from the same layer of the same model');
  }
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (s1.mean[j]! - s2.mean[j]!) ** 2;
  const root1 = sqrtPsd(s1.cov);
  // root1·C2·root1 is symmetric PSD, so its square root's trace is Σ sqrt(eigenvalues);
  // it has the same trace as (C1·C2)^½ in the usual FID formula.
  const middle = matmul(matmul(root1, s2.cov), root1);
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const avg = (middle[i]![j]! + middle[j]![i]!) / 2;
      middle[i]![j] = avg;
      middle[j]![i] = avg;
    }
  }
  const { values } = symmetricEigen(middle);
  let traceCross = 0;
  for (const x of values) traceCross += Math.sqrt(Math.max(x, 0));
  let trace = 0;
  for (let i = 0; i < d; i++) trace += s1.cov[i]![i]! + s2.cov[i]![i]!;
  return Math.max(0, meanTerm + trace - 2 * traceCross);
}

/** Fréchet distance between two sets of feature rows (e.g. classifier activations). */
export function frechetDistance(featuresA: ArrayLike<number>[], featuresB: ArrayLike<number>[]): number {
  return frechetDistanceFromStats(featureStats(featuresA), featureStats(featuresB));
}
