/**
 * The grader's second look at 06's cheap visible tests (issue 21 4(d); docs/GRADER.md "Judged
 * visible tests"): each test still asserts in its own process and, in a graded run, also
 * observes what the submission returned; the grader's parent repeats the same checks here, with
 * the test's own tolerances (never stricter), in plain TypeScript without tfjs.
 */
import type { Judge, Observations, Verdict } from '../lib/grader/judge.js';

/** Every verdict true, or the first reason. */
function all(...verdicts: Verdict[]): Verdict {
  return verdicts.find((v) => v !== true) ?? true;
}

const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

/** |actual − expected| ≤ tol (the test's `toBeLessThanOrEqual(tol)`; `strict` for its `toBeLessThan`). */
function within(actual: unknown, expected: number, tol: number, what: string, strict = false): Verdict {
  if (typeof actual !== 'number' || !Number.isFinite(actual)) return `${what}: ${String(actual)} is not a finite number`;
  const d = Math.abs(actual - expected);
  return (strict ? d < tol : d <= tol) || `${what}: ${actual}, expected ${expected} (± ${tol})`;
}

/** The test's expectClose: same length, every entry finite and within tol. */
function closeAll(actual: unknown, expected: readonly number[], tol: number, what: string): Verdict {
  if (!isArray(actual) || actual.length !== expected.length) return `${what}: not ${expected.length} numbers`;
  return all(...expected.map((e, i) => within(actual[i], e, tol, `${what}[${i}]`)));
}

function penalties(obs: Observations): Verdict {
  const p = (obs.penalties ?? {}) as Record<string, unknown>;
  // W1 = [[1, −2], [0, 3]], W2 = [−0.5, 4]: Σ|w| = 10.5, Σw² = 30.25
  return all(within(p.l1, 1.05, 1e-5, 'l1Penalty(λ 0.1)', true), within(p.l2, 3.025, 1e-5, 'l2Penalty(λ 0.1)', true), within(p.l2b, 15.125, 1e-4, 'l2Penalty(λ 0.5)', true));
}

/**
 * The hand values, and the gradients on the test's random x against 2λx and λ·sign(x) recomputed
 * here in float64. The test compares with tf.grad's float32 values to 1e-5; float32 rounding of
 * 2λx (|x| < 6) is below 1e-6, so 1e-5 + 1e-6 here accepts everything the test accepts.
 */
function penaltyGrads(obs: Observations): Verdict {
  const h = (obs.hand ?? {}) as Record<string, unknown>;
  const r = (obs.random ?? {}) as Record<string, unknown>;
  if (JSON.stringify(h.shapes) !== JSON.stringify([[2, 2], [2], [2, 2], [2]])) return `gradient shapes ${JSON.stringify(h.shapes)}, expected [[2,2],[2]] for each penalty`;
  if (!isArray(r.x) || r.x.length !== 30 || !r.x.every((v) => typeof v === 'number') || r.lambda !== 0.37) return 'random: not the test\'s 30 inputs and λ 0.37';
  const x = r.x as number[];
  const lambda = 0.37;
  return all(
    closeAll(h.l2W1, [0.2, -0.4, 0, 0.6], 1e-6, 'l2 grad of W1 (2λW)'),
    closeAll(h.l1W2, [-0.1, 0.1], 1e-6, 'l1 grad of W2 (λ sign W)'),
    closeAll(h.l1W1, [0.1, -0.1, 0, 0.1], 1e-6, 'l1 grad of W1 (0 at the zero weight)'),
    closeAll(r.l2, x.map((v) => 2 * lambda * v), 1e-5 + 1e-6, 'l2 grad vs 2λx'),
    closeAll(r.l1, x.map((v) => lambda * Math.sign(v)), 1e-5 + 1e-6, 'l1 grad vs λ·sign(x)'),
  );
}

/** g = 1, β = 0.9, α = 0.1: v = 1, 1.9, 2.71 → θ = −0.1, −0.29, −0.561 */
function momentum(obs: Observations): Verdict {
  const m = (obs.momentum ?? {}) as Record<string, unknown>;
  return all(closeAll(m.thetas, [-0.1, -0.29, -0.561], 1e-6, 'θ after steps 1–3'), closeAll(m.velocity, [2.71, 2.71], 1e-6, 'velocity after 3 steps'));
}

/** One Adam step from θ = 1: either form of the bias-corrected update, as the test accepts. */
function adamFirstStep(obs: Observations): Verdict {
  const r = (obs.adam ?? {}) as Record<string, unknown>;
  const lr = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-7;
  const g = [0.001, -0.5, 3, -40];
  if (!isArray(r.next) || r.next.length !== g.length) return 'adam: not 4 parameters';
  const next = r.next;
  const paper = g.map((gi) => 1 - (lr * gi) / (Math.abs(gi) + eps));
  const efficient = g.map((gi) => 1 - ((lr * Math.sqrt(1 - beta2)) / (1 - beta1)) * (((1 - beta1) * gi) / (Math.sqrt((1 - beta2) * gi * gi) + eps)));
  return all(
    ...g.map((_, i): Verdict => {
      const p = next[i];
      if (typeof p !== 'number') return `parameter ${i}: ${String(p)} is not a finite number`;
      return Math.min(Math.abs(p - paper[i]!), Math.abs(p - efficient[i]!)) <= 1e-6 || `parameter ${i} (g = ${g[i]}): ${p}, expected ${paper[i]} (or ${efficient[i]})`;
    }),
    r.t === 1 || `state.t ${String(r.t)}, expected 1`,
    closeAll(r.m, [0.0001, -0.05, 0.3, -4], 1e-6, 'm after one step'),
  );
}

export default {
  'task 1: L1 and L2 penalties > l1Penalty and l2Penalty give the hand-worked values over two layers': penalties,
  'task 1: L1 and L2 penalties > penalty gradients match hand values and tf.grad of λΣ|w| and λΣw²': penaltyGrads,
  'task 1: L1 and L2 penalties > penalties reject a negative lambda and an empty weight list with a CourseError': { 'lambda 0': 0 },
  'task 4: optimiser update rules > sgdMomentumStep gives the hand-worked velocities for a constant gradient': momentum,
  'task 4: optimiser update rules > the first adamStep moves every weight by learningRate (bias correction)': adamFirstStep,
  // layer 1: ‖Δ‖ 0.06 over ‖before‖ 20; layer 2: [3, 4] → [6, 8], 5 / 5
  'task 5: update/weight ratio > updateToWeightRatio is ‖after − before‖₂ / ‖before‖₂ per layer (constructed weights)': (obs) => closeAll(obs.ratios, [0.003, 1], 1e-6, 'ratios'),
  'task 5: update/weight ratio > updateToWeightRatio is Infinity for a layer whose old weights are all zero': { ratios: ['Infinity', 'Infinity'] },
} satisfies Judge;
