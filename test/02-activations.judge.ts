/**
 * The grader's second look at 02's cheap visible tests (issue 21 4(d); docs/GRADER.md "Judged
 * visible tests"): the activations' values and derivatives on the test's fixed points and grid,
 * softmax on fixed logits, and the dead-unit fractions of the test's constructed net. Each test
 * still asserts in its own process; in a graded run it also `observe()`s what the submission
 * returned, and the grader's parent repeats the same checks here, with the test's own expected
 * values, closed forms and tolerances (never stricter), so a pass forged inside the worker (a
 * negated assertion) still loses the test. Plain TypeScript, no imports but types: it runs in
 * the grader (lib/grader/judge.ts), without tfjs.
 */
import type { Judge, Observations, Verdict } from '../lib/grader/judge.js';

/** Every verdict true, or the first reason. */
function all(...verdicts: Verdict[]): Verdict {
  return verdicts.find((v) => v !== true) ?? true;
}

const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The test's expectClose: same length, every value a finite number, |actual − expected| ≤ tol everywhere. */
function close(actual: unknown, expected: readonly number[], tol: number, what: string): Verdict {
  if (!isArray(actual)) return `${what}: not an array`;
  if (actual.length !== expected.length) return `${what}: length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    if (!isNumber(a)) return `${what}[${i}]: ${String(a)} is not a finite number`;
    if (!(Math.abs(a - expected[i]!) <= tol)) return `${what}[${i}]: ${a}, expected ${expected[i]} within ${tol}`;
  }
  return true;
}

/** vitest's toBeCloseTo(expected, digits): |expected − actual| < 10^−digits / 2. */
function near(actual: unknown, expected: number, digits: number, what: string): Verdict {
  if (!isNumber(actual)) return `${what}: not a finite number`;
  return Math.abs(expected - actual) < 10 ** -digits / 2 || `${what}: ${actual}, expected ${expected} to ${digits} digits`;
}

// ---- the test's constants and closed forms, repeated (test/02-activations.test.ts) ----
const POINTS_EXPECTED: Record<string, number[]> = {
  sigmoid: [0.119203, 0.268941, 0.5, 0.731059, 0.880797],
  tanh: [-0.964028, -0.761594, 0, 0.761594, 0.964028],
  relu: [0, 0, 0, 1, 2],
  leakyRelu: [-0.02, -0.01, 0, 1, 2],
  elu: [-0.864665, -0.632121, 0, 1, 2],
  swish: [-0.238406, -0.268941, 0, 0.731059, 1.761594],
  gelu: [-0.045402, -0.158808, 0, 0.841192, 1.954598],
  geluExact: [-0.0455, -0.158655, 0, 0.841345, 1.9545],
};
const NAMES = Object.keys(POINTS_EXPECTED);
const GRID = Array.from({ length: 100 }, (_, i) => -4.95 + 0.1 * i);
const SAMPLED = GRID.flatMap((_, i) => (i % 5 === 0 || i === 49 || i === 50 ? [i] : []));
const DERIVATIVE_TOL = 1e-4;

const sig = (x: number): number => 1 / (1 + Math.exp(-x));
/** erf by Abramowitz & Stegun 7.1.26, as the test computes it. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(x) * (1 - poly * Math.exp(-x * x));
}
const GELU_C = Math.sqrt(2 / Math.PI);
const FORMULA: Record<string, (x: number) => number> = {
  sigmoid: (x) => sig(x) * (1 - sig(x)),
  tanh: (x) => 1 - Math.tanh(x) ** 2,
  relu: (x) => (x > 0 ? 1 : 0),
  leakyRelu: (x) => (x > 0 ? 1 : 0.01),
  elu: (x) => (x > 0 ? 1 : Math.exp(x)),
  swish: (x) => sig(x) + x * sig(x) * (1 - sig(x)),
  gelu: (x) => {
    const t = Math.tanh(GELU_C * (x + 0.044715 * x ** 3));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
  },
  geluExact: (x) => 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
};

function softmax64(xs: readonly number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
/** The test's float32 budget for a softmax whose logits reach magnitude M. */
function softmaxTol(maxAbsLogit: number): number {
  const ulp = maxAbsLogit > 0 ? 2 ** (Math.floor(Math.log2(maxAbsLogit)) - 23) : 0;
  return ulp + 1e-6;
}

// ---- per test ----
function pointValues(obs: Observations): Verdict {
  const v = (obs.values ?? {}) as Record<string, unknown>;
  return all(...NAMES.map((n) => close(v[n], POINTS_EXPECTED[n]!, 1e-5, n)));
}

function shapes(obs: Observations): Verdict {
  const s = (obs.shapes ?? {}) as Record<string, { shape?: unknown; dtype?: unknown } | undefined>;
  return all(
    ...NAMES.flatMap((n) => [
      JSON.stringify(s[n]?.shape) === '[2,3,4]' || `${n}: shape ${JSON.stringify(s[n]?.shape)}, expected [2,3,4]`,
      s[n]?.dtype === 'float32' || `${n}: dtype ${String(s[n]?.dtype)}, expected float32`,
      JSON.stringify(s[`${n}Derivative`]?.shape) === '[2,3,4]' || `${n}': shape ${JSON.stringify(s[`${n}Derivative`]?.shape)}, expected [2,3,4]`,
    ]),
  );
}

function derivative(name: string): (obs: Observations) => Verdict {
  const expected = GRID.map(FORMULA[name]!);
  return (obs) => {
    const d = (obs.derivative ?? {}) as { mine?: unknown; auto?: unknown };
    return all(close(d.mine, expected, DERIVATIVE_TOL, `${name}'`), close(d.auto, expected, DERIVATIVE_TOL, `tf.grad of ${name}`));
  };
}

function alphas(obs: Observations): Verdict {
  const s = (obs.sampled ?? {}) as Record<string, unknown>;
  const at = (f: (x: number) => number): number[] => SAMPLED.map((i) => f(GRID[i]!));
  const checks: Verdict[] = [];
  for (const a of [0, 0.05, 0.2, 0.5]) {
    checks.push(close(s[`leakyRelu ${a}`], at((x) => (x > 0 ? x : a * x)), 1e-5, `leakyRelu(x, ${a})`));
    checks.push(close(s[`leakyReluDerivative ${a}`], at((x) => (x > 0 ? 1 : a)), DERIVATIVE_TOL, `leakyReluDerivative(x, ${a})`));
  }
  for (const a of [0.5, 2]) {
    checks.push(close(s[`elu ${a}`], at((x) => (x > 0 ? x : a * (Math.exp(x) - 1))), 1e-5, `elu(x, ${a})`));
    checks.push(close(s[`eluDerivative ${a}`], at((x) => (x > 0 ? 1 : a * Math.exp(x))), DERIVATIVE_TOL, `eluDerivative(x, ${a})`));
  }
  return all(...checks);
}

function sigmoidMax(obs: Observations): Verdict {
  const d = (obs.sigmoidDerivative ?? {}) as { at0?: unknown; max?: unknown; argmax?: unknown; min?: unknown; near0?: unknown };
  if (!isNumber(d.at0) || !isNumber(d.max) || !isNumber(d.min)) return "sigmoid': at 0, max or min is not a finite number";
  const near0 = isArray(d.near0) ? d.near0 : [];
  return all(
    Math.abs(d.at0 - 0.25) < 1e-6 || `sigmoid'(0) = ${d.at0}, expected 0.25`,
    d.max <= 0.25 + 1e-6 || `max of sigmoid' = ${d.max}, expected ≤ 0.25`,
    d.argmax === 1000 || `the maximum is at index ${String(d.argmax)}, expected 1000 (x = 0)`,
    d.min >= 0 || `min of sigmoid' = ${d.min}, expected ≥ 0`,
    // the 21 values around 0 come from the same curve: the one at 0 is at0, none above max or below min
    (near0.length === 21 && near0[10] === d.at0 && near0.every((v) => isNumber(v) && v <= (d.max as number) && v >= (d.min as number))) || "sigmoid' around 0: not the curve the summary came from",
  );
}

function softmax(obs: Observations): Verdict {
  const s = (obs.softmax ?? {}) as { p?: unknown; rows?: unknown; col?: unknown };
  const rowsIn = [[1, 2, 3, 4], [-500, 0, 500, 1000], [0, 0, 0, 0]];
  const rows = isArray(s.rows) ? s.rows : [];
  const p = isArray(s.p) ? s.p : [];
  return all(
    close(s.p, softmax64([1000, 1001]), softmaxTol(1001), 'softmax([1000, 1001])'),
    (isNumber(p[0]) && isNumber(p[1]) && Math.abs(p[0] + p[1] - 1) <= softmaxTol(1001)) || 'softmax([1000, 1001]) does not sum to 1',
    rows.length === 12 || `the [3,4] batch gave ${rows.length} values`,
    ...rowsIn.map((row, r) => close(rows.slice(4 * r, 4 * r + 4), softmax64(row), softmaxTol(Math.max(...row.map(Math.abs))), `softmax of row ${r}`)),
    close(s.col, [0.5, 0.5, 0.5, 0.5], softmaxTol(1000), 'softmax over axis 0'),
  );
}

function large(obs: Observations): Verdict {
  const b = (obs.big ?? {}) as Record<string, unknown>;
  return all(
    ...NAMES.map((n) => {
      const vs = b[n];
      return (isArray(vs) && vs.length === 4 && vs.every(isNumber)) || `${n} at ±100: ${JSON.stringify(vs)} (values and derivatives must be finite)`;
    }),
    close(b.tanh100, [-1, 1], 1e-6, 'tanh(±100)'),
    close(b.sigmoid100, [0, 1], 1e-6, 'sigmoid(±100)'),
  );
}

function deadUnits(obs: Observations): Verdict {
  const d = (obs.dead ?? {}) as { layers?: unknown; fractions?: unknown[]; overall?: unknown };
  return all(
    JSON.stringify(d.layers) === '["r1","r3"]' || `ReLU layers ${JSON.stringify(d.layers)}, expected ["r1","r3"]`,
    near(d.fractions?.[0], 3 / 8, 6, 'fraction of r1'),
    near(d.fractions?.[1], 1, 6, 'fraction of r3'),
    near(d.overall, 7 / 12, 6, 'overall'),
  );
}

const T1 = 'task 1: activation functions > ';
export default {
  [`${T1}every activation gives the hand-worked values at chosen points`]: pointValues,
  [`${T1}activations keep the input shape and dtype`]: shapes,
  ...Object.fromEntries(NAMES.map((n) => [`${T1}derivative of ${n} matches its formula and tf.grad on [-5, 5]`, derivative(n)])),
  [`${T1}leakyRelu and elu use their alpha: values and derivatives at several alphas match the formulas`]: alphas,
  [`${T1}sigmoid'(0) = 0.25 is the maximum of the sigmoid derivative`]: sigmoidMax,
  [`${T1}softmax of [1000, 1001] is finite and sums to 1 (numerically stable)`]: softmax,
  [`${T1}activations and derivatives stay finite for large inputs (|x| = 100)`]: large,
  'task 3: gradient diagnostics > deadUnitFraction finds the known dead ReLU units of a constructed net': deadUnits,
} satisfies Judge;
