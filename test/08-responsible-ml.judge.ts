/**
 * The grader's second look at 08's cheap visible tests (issue 21 4(d); docs/GRADER.md "Judged
 * visible tests"): each test still asserts in its own process and, in a graded run, also
 * observes what the submission returned; the grader's parent repeats the same checks here, with
 * the test's own tolerances (never stricter), in plain TypeScript without tfjs: the hand-worked
 * rates, gaps, weights, thresholds, AUCs, losses, FLOP and energy figures, and the nonlinear
 * net's saliency by its own finite differences.
 */
import type { Judge, Observations, Verdict } from '../lib/grader/judge.js';

function all(...verdicts: Verdict[]): Verdict {
  return verdicts.find((v) => v !== true) ?? true;
}

/** The test's expectClose: same length, every |a − e| ≤ tol. */
function closeAll(actual: unknown, expected: readonly number[], tol: number, what: string): Verdict {
  if (!Array.isArray(actual) || actual.length !== expected.length) return `${what}: not ${expected.length} numbers`;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    if (!(typeof a === 'number' && Math.abs(a - expected[i]!) <= tol)) return `${what}[${i}]: ${String(a)}, expected ${expected[i]} (± ${tol})`;
  }
  return true;
}

/** vitest's toBeCloseTo(expected, digits): |expected − actual| < 10^−digits / 2. */
function near(actual: unknown, expected: number, digits: number, what: string): Verdict {
  if (typeof actual !== 'number') return `${what}: ${String(actual)} is not a finite number`;
  return Math.abs(expected - actual) < 10 ** -digits / 2 || `${what}: ${actual}, expected ${expected} to ${digits} digits`;
}

const same = (actual: unknown, expected: unknown, what: string): Verdict =>
  JSON.stringify(actual) === JSON.stringify(expected) || `${what}: ${JSON.stringify(actual)?.slice(0, 200)}, expected ${JSON.stringify(expected)}`;

type Rates = Record<string, unknown>;
const rateList = (r: Rates | undefined) => [r?.accuracy, r?.selectionRate, r?.fpr, r?.fnr];

/** A: accuracy 4/6, selection 2/6, FPR 1/4, FNR 1/2 (n 6: 2 positives, 4 negatives); B: 0.5, 1, 1, 0 (n 4) */
function rates(obs: Observations): Verdict {
  const o = (obs.rates ?? {}) as Record<string, Rates | undefined>;
  const groupA = (name: string, g: Rates | undefined): Verdict =>
    all(same([g?.n, g?.positives, g?.negatives], [6, 2, 4], `${name}: n, positives, negatives`), closeAll(rateList(g), [4 / 6, 2 / 6, 1 / 4, 1 / 2], 1e-12, `${name}: accuracy, selection, FPR, FNR`));
  return all(groupA('groupRates(…, 0)', o.a), groupA('audit().groups[0]', o.auditA), o.b?.n === 4 || 'group B: n', closeAll(rateList(o.b), [0.5, 1, 1, 0], 1e-12, 'group B: accuracy, selection, FPR, FNR'));
}

function gaps(obs: Observations): Verdict {
  const o = (obs.gaps ?? {}) as Record<string, Record<string, unknown> | undefined>;
  return all(
    near(o.r?.parity, 2 / 3, 12, 'parity difference'),
    near(o.r?.odds, 3 / 4, 12, 'equalised odds'),
    near(o.flipped?.parity, -2 / 3, 12, 'parity difference (mirrored)'),
    near(o.flipped?.odds, 3 / 4, 12, 'equalised odds (mirrored)'),
    near(o.g?.odds, 0.5, 12, 'equalised odds (FNR gap only)'),
    near(o.g?.parity, -1 / 6, 12, 'parity difference (FNR gap only)'),
  );
}

function weights(obs: Observations): Verdict {
  const w = obs.weights;
  if (!Array.isArray(w) || w.length !== 3) return 'weights: not three strengths';
  const mean = (3 * Math.sqrt(2 / 3) + Math.SQRT2) / 4;
  const r = Math.sqrt(2 / 3) / mean;
  return all(closeAll(w[0], [2 / 3, 2 / 3, 2 / 3, 2], 1e-6, 'strength 1'), closeAll(w[1], [1, 1, 1, 1], 1e-6, 'strength 0'), closeAll(w[2], [r, r, r, Math.SQRT2 / mean], 1e-6, 'strength 0.5'));
}

/** The test's finite differences of logit(x) = tanh(x·W1)·W2, in float64 (the test's are float32: < 1e-4 apart). */
function nonlinearSaliency(obs: Observations): Verdict {
  const W1 = [[1, -0.5, 0.3], [0.2, 0.8, -1], [-0.7, 0.4, 0.6]];
  const W2 = [1.2, -0.9, 0.5];
  const logit = (x: number[]) => W2.reduce((s, w2, h) => s + w2 * Math.tanh(x.reduce((a, xi, j) => a + xi * W1[j]![h]!, 0)), 0);
  const eps = 1e-2;
  const xs = [[0.3, -0.2, 0.5], [-0.4, 0.9, 0.1]];
  const expected = xs.flatMap((row) => row.map((_, j) => Math.abs((logit(row.map((v, k) => (k === j ? v + eps : v))) - logit(row.map((v, k) => (k === j ? v - eps : v)))) / (2 * eps))));
  return closeAll(obs.saliency, expected, 2e-3 + 1e-4, 'saliency vs |finite difference|');
}

export default {
  'task 1: the audit > groupRates and audit give the hand-worked accuracy, selection rate, FPR and FNR of each group': rates,
  'task 1: the audit > the parity difference is signed B − A and equalised odds is the larger of the two rate gaps': gaps,
  // NaN arrives as the string 'NaN' (observe.ts)
  'task 1: the audit > an empty group is a CourseError naming it; a rate without a denominator is NaN': { 'group B': { fpr: 'NaN', fnr: 0 } },
  'task 2: mitigations > groupWeights: mean 1, equal total weight per group at strength 1, none at 0, the hand values between': weights,
  'task 2: mitigations > thresholdForFnr picks the largest threshold meeting the FNR target; a score equal to a threshold is positive': { thresholds: [0.2, 0.4, 0.4, 0.9], applied: [1, 1, 0, 1] },
  'task 2: mitigations > thresholdMitigation fits each group threshold on validation and only applies it to the test set': (obs) => {
    const m = (obs.mitigation ?? {}) as Record<string, unknown>;
    return all(closeAll(m.thresholds, [0.3, 0.1], 1e-12, 'thresholds (fitted on validation)'), same(m.testPredictions, [1, 1, 1, 1, 1, 1, 0], 'test predictions'));
  },
  'task 3: membership inference > perExampleLoss is the binary cross-entropy of each logit, finite for large logits': (obs) => closeAll(obs.losses, [Math.LN2, Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(-1)), 100, 0], 1e-4, 'per-example BCE'),
  'task 3: membership inference > membershipAuc: the hand-worked value with a tie, 0.5 for identical sets, 1 when members all have lower loss': (obs) => {
    const a = Array.isArray(obs.auc) ? obs.auc : [];
    return all(near(a[0], 0.625, 12, 'AUC with a tie'), near(a[1], 0.5, 12, 'AUC of identical sets'), a[2] === 1 || `AUC of separated sets: ${String(a[2])}, expected 1`, a[3] === 0 || `AUC of reversed sets: ${String(a[3])}, expected 0`);
  },
  'task 3: membership inference > membershipAttack scores members against the held-out examples, not against the training set again': (obs) => {
    const r = (obs.attack ?? {}) as Record<string, unknown>;
    return all(
      closeAll(r.memberLosses, [Math.log1p(Math.exp(-6)), Math.log1p(Math.exp(-9))], 1e-5, 'member losses'),
      closeAll(r.nonMemberLosses, [Math.log1p(Math.exp(3)), Math.log1p(Math.exp(-1.5))], 1e-5, 'held-out losses'),
      r.auc === 1 || `auc ${String(r.auc)}, expected 1`,
    );
  },
  'task 4: saliency > saliencyMap of a linear model is |w| for every example (same shape as the input)': (obs) =>
    all(same(obs.shape, [3, 4], 'shape'), closeAll(obs.saliency, [0.5, 2, 0, 1.5, 0.5, 2, 0, 1.5, 0.5, 2, 0, 1.5], 1e-6, 'saliency = |w|')),
  "task 4: saliency > saliencyMap of a nonlinear net matches |finite differences| of each example's own logit": nonlinearSaliency,
  // 6 · 100 · (784·32 + 32·1) and 6 · 6
  'task 5: cost > trainStepFlops counts 2·in·out per layer and example forward and twice that backward': { flops: [6 * 100 * (784 * 32 + 32), 36] },
  'task 5: cost > energyEstimate: kWh = watts · PUE · seconds / 3.6e6, CO₂ = kWh · grid intensity': (obs) => {
    const o = (obs.energy ?? {}) as Record<string, Record<string, unknown> | undefined>;
    return all(near(o.e?.kWh, 0.15, 12, 'kWh'), near(o.e?.gramsCO2, 60, 10, 'grams CO₂'), same([o.z?.kWh, o.z?.gramsCO2], [0, 0], 'zero seconds: kWh, grams CO₂'));
  },
} satisfies Judge;
