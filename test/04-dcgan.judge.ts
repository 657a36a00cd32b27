/**
 * The grader's second look at 04's cheap visible tests (issue 21 4(d); docs/GRADER.md "Judged
 * visible tests"): the parameter-count formula, D's raw logits and the leaky-ReLU slopes read off
 * the returned networks on fixed inputs, the hand-computed BCE losses and the non-saturating
 * gradient, and discriminatorAccuracy on fixed logits. Each test still asserts in its own process;
 * in a graded run it also `observe()`s what the submission returned, and the grader's parent
 * repeats the same checks here, with the test's own expected values and tolerances (never
 * stricter), so a pass forged inside the worker (a negated assertion) still loses the test.
 * Plain TypeScript, no imports but types: it runs in the grader (lib/grader/judge.ts), without tfjs.
 */
import type { Judge, Observations, Verdict } from '../lib/grader/judge.js';

/** Every verdict true, or the first reason. */
function all(...verdicts: Verdict[]): Verdict {
  return verdicts.find((v) => v !== true) ?? true;
}

const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): unknown[] => (isArray(v) ? v : []);
const equal = (actual: unknown, expected: unknown, what: string): Verdict => JSON.stringify(actual) === JSON.stringify(expected) || `${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;

/** vitest's toBeCloseTo(expected, digits): |expected − actual| < 10^−digits / 2. */
function near(actual: unknown, expected: number, digits: number, what: string): Verdict {
  if (!isNumber(actual)) return `${what}: ${String(actual)} is not a finite number`;
  return Math.abs(expected - actual) < 10 ** -digits / 2 || `${what}: ${actual}, expected ${expected} to ${digits} digits`;
}

/** The test's mean binary cross-entropy with logits. */
function bce(logits: number[], target: number): number {
  const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  return logits.reduce((s, x) => s + softplus(x) - target * x, 0) / logits.length;
}

// the default config's counts, as the test writes the formula
const Z = 100, W = 64, K = 5 * 5, DENSE = 7 * 7 * 2 * W;
const COUNTS = {
  g: Z * DENSE + 4 * DENSE + K * 2 * W * W + 4 * W + (K * W + 1),
  gTrainable: Z * DENSE + 2 * DENSE + K * 2 * W * W + 2 * W + (K * W + 1),
  d: (K * W + W) + (K * W * 2 * W + 2 * W) + (7 * 7 * 2 * W + 1),
  gInput: [null, 100],
};

function rawLogits(obs: Observations): Verdict {
  const l = obj(obs.logits);
  return all(equal(l.shape, [16, 1], 'shape'), arr(l.values).some((x) => num(x) < 0 || num(x) > 1) || 'every output in [0, 1]: a sigmoid, not a logit');
}

function leaky(obs: Observations): Verdict {
  const seen = obj(obs.leaky);
  return all(
    ...['G', 'D'].map((name) => {
      const layers = arr(seen[name]);
      return all(
        layers.length === 2 || `${name}: ${layers.length} leaky ReLU layers, expected 2`,
        ...layers.map((y, i) => all(near(arr(y)[0], -0.2, 6, `${name}: leaky ReLU ${i} at −1`), near(arr(y)[1], 1, 6, `${name}: leaky ReLU ${i} at 1`))),
      );
    }),
  );
}

function pinned(obs: Observations): Verdict {
  const seen = obj(obs.outputs);
  return all(
    ...[-20, 0, 20].flatMap((b) =>
      [false, true].map((training) => {
        const out = seen[`${b} ${training}`];
        if (!isArray(out)) return `bias ${b} (training ${training}): no output`;
        return all(out.length === 4 || `bias ${b}: ${out.length} outputs, expected 4`, ...out.map((v) => Math.abs(num(v) - b) <= 1e-6 || `D's output ${String(v)} for a last layer with bias ${b} (training ${training}): a logit is not squashed`));
      }),
    ),
  );
}

function saturation(obs: Observations): Verdict {
  return all(...arr(obs.grad).map((g, i) => near(g, -0.25, 3, `gradient[${i}]`)));
}

function accuracy(obs: Observations): Verdict {
  const a = obj(obs.accuracy);
  return all(Math.abs(num(a.real) - 3 / 5) <= 1e-6 || `real accuracy ${String(a.real)}, expected 3/5`, Math.abs(num(a.fake) - 3 / 5) <= 1e-6 || `fake accuracy ${String(a.fake)}, expected 3/5`);
}

const T2 = 'task 2: losses > ';
export default {
  'task 1: networks > discriminator returns one raw logit per image': rawLogits,
  'task 1: networks > parameter counts match the DCGAN layer formula for the default config': { counts: COUNTS },
  [`${T2}at logit 0 every BCE term is ln 2`]: (obs) => all(near(obj(obs.losses).d, 2 * Math.LN2, 5, 'discriminatorLoss'), near(obj(obs.losses).g, Math.LN2, 5, 'generatorLoss')),
  [`${T2}discriminatorLoss matches hand-computed BCE for confident logits`]: (obs) => near(obs.loss, bce([8, -3, 0.5, 20], 1) + bce([-9, 2, -0.5, -30], 0), 4, 'discriminatorLoss'),
  [`${T2}generatorLoss matches -mean log sigmoid(fake logit)`]: (obs) => near(obs.loss, bce([-9, 2, -0.5, 30], 1), 4, 'generatorLoss'),
  [`${T2}generatorLoss is non-saturating: its gradient stays near -1/n when D rejects the fakes`]: saturation,
  [`${T2}labelSmoothing s changes the real target to 1 - s (fakes stay at 0)`]: (obs) => near(obs.loss, bce([4, -1, 2], 0.9) + bce([-2, 1, 3], 0), 4, 'discriminatorLoss with labelSmoothing 0.1'),
  "task 1: networks (contract details) > every leaky ReLU has slope 0.2 (two in G, two in D), not tfjs's default 0.3": leaky,
  "task 1: networks (contract details) > D's output is the logit itself, with no activation: a last layer set to bias b gives exactly b (b = −20, 0, 20)": pinned,
  'task 5: measuring quality > discriminatorAccuracy: real counts logits > 0, fake counts logits < 0': accuracy,
} satisfies Judge;
