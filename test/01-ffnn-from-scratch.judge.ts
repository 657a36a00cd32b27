/**
 * The grader's second look at 01's cheap visible tests (issue 21 4(d); docs/GRADER.md "Judged
 * visible tests"). Each test below still asserts in its own process (plain `npm test`, `course
 * watch`); in a graded run it also sends what the submission returned with `observe()`, and the
 * grader's parent process, which loads this file and never stages it, repeats the same checks on
 * those values here. A test passes only if both agree, so a submission that makes the in-process
 * assertions pass without the right values (a patched `expect`, a forged verdict) still loses it.
 *
 * Public like the test file: these are the test's own expected values and tolerances, repeated
 * (or recomputed from the inputs the test observed), never stricter than the test itself, so the
 * judge changes no correct submission's grade. Plain TypeScript, no imports but types: it runs in
 * the grader (lib/grader/judge.ts), without tfjs.
 */
import type { Judge, Observations, Verdict } from '../lib/grader/judge.js';

/** vitest's toBeCloseTo(expected, digits): |expected − actual| < 10^−digits / 2. */
function near(actual: unknown, expected: number, digits: number, what: string): Verdict {
  if (typeof actual !== 'number') return `${what}: not a finite number`;
  return Math.abs(expected - actual) < 10 ** -digits / 2 || `${what}: ${actual}, expected ${expected} to ${digits} digits`;
}

/** Every verdict true, or the first reason. */
function all(...verdicts: Verdict[]): Verdict {
  return verdicts.find((v) => v !== true) ?? true;
}

const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Parameters of a dense net: weights and biases of every layer. */
const parameters = (sizes: readonly number[]): number => sizes.slice(1).reduce((n, s, i) => n + sizes[i]! * s + s, 0);
/** The layer sizes makeRng(5) draws in the test (lib/random.ts); the observed sizes must be these. */
const SEEDED_SIZES = [[31, 9, 25, 4], [29, 19, 37, 10], [30, 27, 1, 19, 13], [12, 31, 29, 11, 1], [9, 11, 5, 19, 40]];

const GATE_X = [[0, 0], [0, 1], [1, 0], [1, 1]];

/** The test's perceptronAccuracy on the observed weights: step(b + Σ xⱼwⱼ), step(0) = 1, summed in the test's order. */
function gateAccuracy(r: { weights?: unknown; bias?: unknown }, y: number[]): number {
  const w = r.weights as number[];
  const pred = GATE_X.map((row) => (row.reduce((s, v, j) => s + v * num(w[j]), num(r.bias)) >= 0 ? 1 : 0));
  return pred.filter((p, i) => p === y[i]).length / y.length;
}

/** AND / OR: 100 % and converged (AND within its 50 epochs); XOR: finite, ≤ 75 %, never converged, all 40 epochs. */
function gate(gateName: 'AND' | 'OR' | 'XOR'): (obs: Observations) => Verdict {
  const y = { AND: [0, 0, 0, 1], OR: [0, 1, 1, 1], XOR: [0, 1, 1, 0] }[gateName];
  return (obs) => {
    const r = (obs.result ?? {}) as { weights?: unknown; bias?: unknown; converged?: unknown; epochsRun?: unknown };
    if (!isArray(r.weights) || (gateName === 'AND' && r.weights.length !== 2)) return `${gateName}: no weights${gateName === 'AND' ? ' of length 2' : ''}`;
    const acc = gateAccuracy(r, y);
    if (gateName !== 'XOR') {
      return all(acc === 1 || `${gateName}: accuracy ${acc} of the returned weights, expected 1`, r.converged === true || `${gateName}: not converged`, gateName === 'OR' || num(r.epochsRun) < 50 || `AND: epochsRun ${String(r.epochsRun)}, expected < 50`);
    }
    const finite = r.weights.every((v) => Number.isFinite(v)) && Number.isFinite(r.bias);
    return all(finite || 'XOR: weights or bias not finite', acc <= 0.75 || `XOR: accuracy ${acc}, a line cannot exceed 0.75`, r.converged === false || 'XOR: converged', r.epochsRun === 40 || `XOR: epochsRun ${String(r.epochsRun)}, expected 40`);
  };
}

function perceptronStep(obs: Observations): Verdict {
  return all(
    ...[0.1, 0.5].map((lr) => {
      const r = obs[`lr ${lr}`] as { weights?: unknown; bias?: unknown; converged?: unknown; epochsRun?: unknown } | undefined;
      if (!r || !isArray(r.weights) || r.weights.length !== 2) return `lr ${lr}: no weights of length 2`;
      // the test's bounds: ±1e-6 around α, α and 0; not converged after its one epoch
      const within = (v: unknown, e: number, what: string): Verdict => Math.abs(num(v) - e) <= 1e-6 || `lr ${lr}: ${what} ${String(v)}, expected ${e}`;
      return all(within(r.weights[0], lr, 'w[0]'), within(r.weights[1], lr, 'w[1]'), within(r.bias, 0, 'bias'), r.converged === false || `lr ${lr}: converged`, r.epochsRun === 1 || `lr ${lr}: epochsRun ${String(r.epochsRun)}`);
    }),
  );
}

function randomSizes(obs: Observations): Verdict {
  const trials = obs.trials;
  if (!isArray(trials) || trials.length !== SEEDED_SIZES.length) return 'trials: not 5 trials';
  return all(
    ...trials.map((t, i) => {
      const { sizes, count } = (t ?? {}) as { sizes?: unknown; count?: unknown };
      if (JSON.stringify(sizes) !== JSON.stringify(SEEDED_SIZES[i])) return `trial ${i}: sizes ${JSON.stringify(sizes)} are not the seeded ones`;
      return count === parameters(SEEDED_SIZES[i]!) || `trial ${i}: ${String(count)} parameters for [${SEEDED_SIZES[i]}], expected ${parameters(SEEDED_SIZES[i]!)}`;
    }),
  );
}

function workedForward(obs: Observations): Verdict {
  const c = obs.cache as { preActivations?: unknown; activations?: unknown } | undefined;
  if (!c || !isArray(c.preActivations) || !isArray(c.activations)) return 'cache: no preActivations / activations';
  if (c.preActivations.length !== 2 || c.activations.length !== 3) return `cache: ${c.preActivations.length} pre-activations and ${c.activations.length} activations, expected 2 and 3`;
  const [z1, z2] = c.preActivations as unknown[][];
  const [, hidden, out] = c.activations as unknown[][];
  if (!isArray(z1) || !isArray(z2) || !isArray(hidden) || !isArray(out)) return 'cache: a layer is not an array';
  // recomputed: x = [0.5, 0.8], W1 = [[0.2, 0.3], [0.4, 0.1]], b1 = [0.1, 0.2]; the test's rounded targets
  return all(
    near(z1[0], 0.5 * 0.2 + 0.8 * 0.4 + 0.1, 5, 'z1[0]'),
    near(z1[1], 0.5 * 0.3 + 0.8 * 0.1 + 0.2, 5, 'z1[1]'),
    near(z2[0], 0.6 * 0.62715 + 0.5 * 0.60587 + 0.3, 3, 'z2[0]'),
    near(hidden[0], 0.627, 3, 'hidden[0]'),
    near(hidden[1], 0.606, 3, 'hidden[1]'),
    near(out[0], 0.727, 3, 'output'),
  );
}

/** The three losses recomputed from the inputs the test observed, as the test computes them. */
function losses(obs: Observations): Verdict {
  const l = obs.losses as { mse?: unknown; probs?: unknown; labels?: unknown; ce?: unknown; sig?: unknown; sigTarget?: unknown; bce?: unknown } | undefined;
  if (!l || !isArray(l.probs) || !isArray(l.labels) || !isArray(l.sig) || !isArray(l.sigTarget)) return 'losses: inputs missing';
  const probs = l.probs as number[][];
  const labels = l.labels as number[];
  const ce = -labels.reduce((s, c, i) => s + Math.log(num(probs[i]?.[c])), 0) / labels.length;
  const sig = l.sig as number[][];
  const t = l.sigTarget as number[][];
  let bce = 0;
  for (let i = 0; i < 4; i++) for (let k = 0; k < 2; k++) bce -= num(t[i]?.[k]) * Math.log(num(sig[i]?.[k])) + (1 - num(t[i]?.[k])) * Math.log(1 - num(sig[i]?.[k]));
  return all(near(l.mse, (1 - sigmoid(1)) ** 2, 4, 'MSE'), near(l.ce, ce, 4, 'cross-entropy'), near(l.bce, bce / 8, 4, 'binary cross-entropy'));
}

function chapter5Grads(obs: Observations): Verdict {
  const g = obs.grads as { dW?: unknown[]; db?: unknown[] }[] | undefined;
  if (!isArray(g) || g.length !== 2) return 'grads: not 2 layers';
  // the chapter's net: h = σ(2·0.5), ŷ = 1·h, L = (ŷ − 1)²
  return all(
    near(g[1]?.dW?.[0], -0.393224, 4, 'dL/dw2'),
    near(g[1]?.db?.[0], -0.537883, 4, 'dL/db2'),
    near(g[0]?.dW?.[0], -0.211508, 4, 'dL/dw1'),
    near(g[0]?.db?.[0], -0.105754, 4, 'dL/db1'),
  );
}

function chapter5Step(obs: Observations): Verdict {
  const n = obs.next as { W?: unknown[] }[] | undefined;
  if (!isArray(n) || n.length !== 2) return 'next: not 2 layers';
  return all(near(n[1]?.W?.[0], 1.0039, 4, 'w2'), near(n[0]?.W?.[0], 0.5021, 4, 'w1'));
}

export default {
  'task 1: perceptron > learns AND to 100 % and reports convergence': gate('AND'),
  'task 1: perceptron > learns OR to 100 % and reports convergence': gate('OR'),
  'task 1: perceptron > on XOR stays at or below 75 % and never converges': gate('XOR'),
  'task 1: perceptron > follows the classic update rule step by step (zero start, w += α(y−ŷ)x)': perceptronStep,
  'task 2: parameter count > counts 109,386 parameters for 784→128→64→10': { counts: { '784-128-64-10': parameters([784, 128, 64, 10]), '2-2-1': parameters([2, 2, 1]) } },
  'task 2: parameter count > matches tf.layers countParams on random layer sizes': randomSizes,
  'task 2: parameter count > rejects layer lists that are not a network with a CourseError': { 'count 4-3': parameters([4, 3]) },
  'task 3: forward pass > reproduces the module-12 worked example (hidden ≈ [0.627, 0.606], output ≈ 0.727)': workedForward,
  'task 4: loss and backward pass > computes each loss as documented (MSE worked example ≈ 0.072, cross-entropy, binary CE)': losses,
  'task 4: loss and backward pass > reproduces the chapter-5 worked gradients (dL/dw2 ≈ −0.393, dL/dw1 ≈ −0.211)': chapter5Grads,
  'task 4: loss and backward pass > one SGD step with lr 0.01 gives w2 ≈ 1.0039 and w1 ≈ 0.5021': chapter5Step,
} satisfies Judge;
