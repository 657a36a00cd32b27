/**
 * The grader's second look at 05's cheap visible tests (issue 21 4(d); docs/GRADER.md "Judged
 * visible tests"): each test still asserts in its own process and, in a graded run, also
 * observes what the submission returned; the grader's parent repeats the same checks here, with
 * the test's own tolerances (never stricter), in plain TypeScript without tfjs: the
 * probabilities' shape and row sums cut at fc1 and at pool2, the unknown-cutAt message, the head
 * layers' names, and the counts and output shapes of compareStrategies' runs (not the training
 * behind them). Everything else in 05 trains, compares weights of returned models, watches the
 * engine or checks a thrown class (docs/GRADER.md says which).
 */
import type { Judge, Observations, Verdict } from '../lib/grader/judge.js';

function all(...verdicts: Verdict[]): Verdict {
  return verdicts.find((v) => v !== true) ?? true;
}

const same = (actual: unknown, expected: unknown, what: string): Verdict =>
  JSON.stringify(actual) === JSON.stringify(expected) || `${what}: ${JSON.stringify(actual)?.slice(0, 200)}, expected ${JSON.stringify(expected)}`;

/** The test's `expect(probs.shape).toEqual([4, numClasses])` and `expect(s).toBeCloseTo(1, 4)` per row (|s − 1| < 5e-5). */
function probabilities(obs: Observations, cutAt: string, numClasses: number): Verdict {
  const o = (obs[`probs ${cutAt}`] ?? {}) as Record<string, unknown>;
  const sums = Array.isArray(o.sums) ? (o.sums as unknown[]) : [];
  const bad = sums.findIndex((s) => !(typeof s === 'number' && Math.abs(1 - s) < 10 ** -4 / 2));
  return all(
    same(o.shape, [4, numClasses], `cut at ${cutAt}: probabilities' shape`),
    Array.isArray(o.sums) || `cut at ${cutAt}: no row sums`,
    bad < 0 || `cut at ${cutAt}: row ${bad} sums to ${String(sums[bad])}, expected 1 to 4 digits`,
  );
}

/** buildBaseCnn's layers (lib/pretrain/transfer-base.ts) but the input layer, which the test leaves out too. */
const BASE_NAMES = ['conv1', 'pool1', 'conv2', 'pool2', 'conv3', 'pool3', 'flatten', 'fc1', 'logits'];

function message(obs: Observations): Verdict {
  const text = obs.message;
  if (typeof text !== 'string') return `the message: ${String(text)} is not a string`;
  const missing = BASE_NAMES.filter((n) => !text.includes(n));
  return all(/conv9/.test(text) || `the message does not name 'conv9': ${text.slice(0, 300)}`, missing.length === 0 || `the message does not list ${missing.join(', ')}: ${text.slice(0, 300)}`);
}

/** Three new layers (flatten, hidden, output), each named with the submission's own HEAD_PREFIX, as the test reads it. */
function headNames(obs: Observations): Verdict {
  const o = (obs.head ?? {}) as Record<string, unknown>;
  const prefix = o.prefix;
  const names = Array.isArray(o.names) ? (o.names as unknown[]) : null;
  if (typeof prefix !== 'string') return `HEAD_PREFIX: ${String(prefix)} is not a string`;
  if (!names || names.length !== 3) return `the new layers: ${JSON.stringify(o.names)?.slice(0, 200)}, expected three (flatten, hidden, output)`;
  const off = names.filter((n) => !(typeof n === 'string' && n.startsWith(prefix)));
  return off.length === 0 || `head layers ${JSON.stringify(off)} are not named ${prefix}…`;
}

/** The shared compareStrategies run (6 epochs, 25 per class, 5 classes): each strategy once, its counts and output shape. */
function runs(obs: Observations): Verdict {
  const seen = Array.isArray(obs.runs) ? (obs.runs as Record<string, unknown>[]) : [];
  return all(
    same(seen.map((r) => r?.strategy).sort(), ['feature-extraction', 'fine-tuning', 'scratch'], 'strategies'),
    ...seen.map((r) => same([r?.perClass, r?.losses, r?.valAccs, r?.outputShape], [25, 6, 6, [2, 5]], `${String(r?.strategy)}: perClass, losses, val_acc values, output shape`)),
  );
}

export default {
  'task 1: buildTransferModel > returns class probabilities of shape [n, numClasses] when cut at a dense or a conv layer': (obs) =>
    all(probabilities(obs, 'fc1', 5), probabilities(obs, 'pool2', 2)),
  'task 1: buildTransferModel > rejects an unknown cutAt layer with a message naming it': message,
  'task 1: buildTransferModel > names every head layer HEAD_PREFIX… (flatten, hidden, output) and seeds its initial weights with opts.seed': headNames,
  'task 3: compareStrategies > runs every strategy once per labelled-set size for the same number of epochs': runs,
} satisfies Judge;
