import { describe, expect, test } from 'vitest';
import { featureStats, frechetDistance, frechetDistanceFromStats, sqrtPsd, symmetricEigen } from '../../lib/metrics/frechet.js';
import { makeRng } from '../../lib/random.js';

describe('lib/metrics/frechet', () => {
  test('featureStats: mean and unbiased covariance by hand', () => {
    const s = featureStats([[1, 2], [3, 6], [5, 4]]);
    expect(s.mean).toEqual([3, 4]);
    // deviations x: -2,0,2  y: -2,2,0 → var x = 8/2, var y = 8/2, cov = (4+0+0)/2
    expect(s.cov[0]![0]).toBeCloseTo(4, 12);
    expect(s.cov[1]![1]).toBeCloseTo(4, 12);
    expect(s.cov[0]![1]).toBeCloseTo(2, 12);
    expect(s.cov[1]![0]).toBeCloseTo(2, 12);
  });

  test('symmetricEigen reconstructs the matrix and sqrtPsd squares back', () => {
    const m = [[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 2]];
    const { values, vectors } = symmetricEigen(m);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += vectors[i]![k]! * values[k]! * vectors[j]![k]!;
      expect(s).toBeCloseTo(m[i]![j]!, 10);
    }
    const r = sqrtPsd(m);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += r[i]![k]! * r[k]![j]!;
      expect(s).toBeCloseTo(m[i]![j]!, 10);
    }
  });

  test('diagonal Gaussians: d² = Σ(μ1−μ2)² + Σ(σ1−σ2)²', () => {
    const s1 = { mean: [0, 1, 2], cov: [[1, 0, 0], [0, 4, 0], [0, 0, 9]] };
    const s2 = { mean: [1, 1, 0], cov: [[4, 0, 0], [0, 4, 0], [0, 0, 1]] };
    // means: 1 + 0 + 4 = 5; sigmas: (1−2)² + 0 + (3−1)² = 5
    expect(frechetDistanceFromStats(s1, s2)).toBeCloseTo(10, 9);
  });

  test('non-commuting 2×2 covariances match the closed form', () => {
    const c1 = [[2, 0.8], [0.8, 1]];
    const c2 = [[1, -0.3], [-0.3, 3]];
    // Tr((C1C2)^½) = sqrt(tr(C1C2) + 2·sqrt(det C1·det C2)) for 2×2 matrices
    const trProd = c1[0]![0]! * c2[0]![0]! + c1[0]![1]! * c2[1]![0]! + c1[1]![0]! * c2[0]![1]! + c1[1]![1]! * c2[1]![1]!;
    const det1 = 2 * 1 - 0.8 * 0.8;
    const det2 = 1 * 3 - 0.09;
    const expected = 3 + 4 - 2 * Math.sqrt(trProd + 2 * Math.sqrt(det1 * det2));
    expect(frechetDistanceFromStats({ mean: [0, 0], cov: c1 }, { mean: [0, 0], cov: c2 })).toBeCloseTo(expected, 9);
  });

  test('identical sets give 0; sampled Gaussians approach the analytic value', () => {
    const rng = makeRng(7);
    const a = Array.from({ length: 200 }, () => [rng.normal(), rng.normal() * 2, rng.normal() + 1]);
    expect(frechetDistance(a, a)).toBeLessThan(1e-9);
    const big = (mu: number[], sd: number[]) =>
      Array.from({ length: 20000 }, () => mu.map((m, j) => m + sd[j]! * rng.normal()));
    const d = frechetDistance(big([0, 0], [1, 1]), big([1, 0], [2, 1]));
    expect(d).toBeGreaterThan(1.9); // analytic: 1 + 1 = 2
    expect(d).toBeLessThan(2.1);
  });

  test('bad input is a CourseError naming the problem', () => {
    expect(() => featureStats([[1, 2]])).toThrow(/at least 2 feature rows/);
    expect(() => frechetDistance([[1], [2]], [[1, 2], [3, 4]])).toThrow(/feature sizes differ/);
  });
});
