/**
 * The grader's second look at 03's cheap visible tests (issue 21 4(d); docs/GRADER.md "Judged
 * visible tests"): the vocabulary, encode/decode, the window and split indices, the parameter
 * counts, the hand-worked losses and probabilities, and the checks on returned texts (equal,
 * different, their character entropy). Each test still asserts in its own process; in a graded
 * run it also `observe()`s what the submission returned, and the grader's parent repeats the
 * same checks here, with the test's own expected values and tolerances (never stricter), so a
 * pass forged inside the worker (a negated assertion) still loses the test. Plain TypeScript, no
 * imports but types: it runs in the grader (lib/grader/judge.ts), without tfjs.
 */
import type { Judge, Observations, Verdict } from '../lib/grader/judge.js';

/** Every verdict true, or the first reason. */
function all(...verdicts: Verdict[]): Verdict {
  return verdicts.find((v) => v !== true) ?? true;
}

const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
/** toEqual / toBe on JSON values: the observed value is exactly `expected`. */
const equal = (actual: unknown, expected: unknown, what: string): Verdict => same(actual, expected) || `${what}: ${JSON.stringify(actual)?.slice(0, 200)}, expected ${JSON.stringify(expected)?.slice(0, 200)}`;
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): unknown[] => (isArray(v) ? v : []);

/** vitest's toBeCloseTo(expected, digits): |expected − actual| < 10^−digits / 2. */
function near(actual: unknown, expected: number, digits: number, what: string): Verdict {
  if (!isNumber(actual)) return `${what}: ${String(actual)} is not a finite number`;
  return Math.abs(expected - actual) < 10 ** -digits / 2 || `${what}: ${actual}, expected ${expected} to ${digits} digits`;
}

const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));
const softmax = (xs: number[]): number[] => {
  const e = xs.map((v) => Math.exp(v));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

// ───────── task 1 ─────────
function vocab(obs: Observations): Verdict {
  const v = obj(obs.vocab);
  const big = arr(v.big);
  const ascending = big.every((c, i) => i === 0 || (big[i - 1] as string) < (c as string));
  return all(
    equal(v.chars, [' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w'], "buildVocab('hello world').chars"),
    equal(v.size, 8, 'size'),
    equal(v.l, 4, "index of 'l'"),
    equal(v.bigSize, v.distinct, 'size of the small text\'s vocabulary'),
    ascending || 'the small text\'s vocabulary is not sorted ascending',
    equal(v.uni, ['a', 'b', 'é', '😀'], 'code points, each once, ascending'),
    equal(v.uniSize, 4, 'size of the Unicode vocabulary'),
    equal(v.emoji, 3, 'index of the emoji'),
  );
}

function roundTrip(obs: Observations): Verdict {
  const r = obj(obs.roundTrip);
  return all(equal(r.length, r.textLength, 'encoded length'), r.same === true || 'decode(encode(text)) is not the text', equal(r.hello, [3, 2, 4, 4, 5], "encode('hello')"));
}

function windows(obs: Observations): Verdict {
  const w = obj(obs.windows);
  const s = obj(w.shifted);
  const inputs = arr(w.inputs);
  const targets = arr(w.targets);
  return all(
    equal(w.n, 5, 'n'),
    equal(w.seqLength, 5, 'seqLength'),
    equal(w.starts, [0, 3, 6, 9, 12], 'starts'),
    equal(inputs.slice(5, 10), [3, 4, 5, 6, 7], 'inputs of window 1'),
    equal(targets.slice(5, 10), [4, 5, 6, 7, 8], 'targets of window 1'),
    equal(targets.slice(20, 25), [13, 14, 15, 16, 17], 'targets of window 4'),
    equal(s.starts, [100, 103, 106, 109, 112], 'starts with offset 100'),
    equal(s.inputs, w.inputs, 'inputs with offset 100'),
    equal(s.targets, w.targets, 'targets with offset 100'),
  );
}

function boundaryCases(obs: Observations): Verdict {
  const cases = arr(obs.cases).map(obj);
  const expected: [number, number, number][] = [];
  for (const [T, step] of [[1, 1], [4, 2], [5, 3], [6, 6], [3, 7]] as const) {
    for (const length of [T + 1, T + 2, T + step, T + step + 1, T + 2 * step, T + 2 * step + 1, T + 3 * step + 2]) expected.push([T, step, length]);
  }
  if (cases.length !== expected.length) return `${cases.length} cases observed, expected ${expected.length}`;
  return all(
    ...expected.map(([T, step, length], k) => {
      const c = cases[k]!;
      const what = `makeWindows(${length} ids, seqLength ${T}, step ${step})`;
      if (!same([c.T, c.step, c.length], [T, step, length])) return `case ${k} is not ${what}`;
      const n = Math.floor((length - T - 1) / step) + 1;
      const last = (n - 1) * step;
      return all(
        equal(c.n, n, `${what}: number of windows`),
        equal(c.starts, range(n, (i) => i * step), `${what}: starts`),
        equal(c.inputsLength, n * T, `${what}: inputs length`),
        equal(c.last, range(T, (i) => 100 + last + i), `${what}: inputs of the last window`),
      );
    }),
  );
}

function seededSplit(obs: Observations): Verdict {
  const v = obj(obs.valStarts);
  const bySeed = arr(v.bySeed);
  const distinct = new Set(bySeed.map((s) => arr(s).join(',')));
  return all(equal(v.b, v.a, 'validation starts of the same seed'), bySeed.length === 5 || 'not 5 seeds', distinct.size > 1 || 'five seeds gave one split');
}

function blockSplits(obs: Observations): Verdict {
  const blockOf = (start: number): number => Math.min(9, Math.floor(start / 12));
  const expectedStarts: number[] = [];
  for (let b = 0; b < 10; b++) {
    const end = b === 9 ? 127 : 12 * b + 12;
    for (let s = 12 * b; s + 5 <= end; s += 2) expectedStarts.push(s);
  }
  const splits = arr(obs.splits).map(obj);
  const expected: [number, number, number][] = [];
  for (const [valFraction, nVal] of [[0.3, 3], [0.01, 1], [0.1, 1]] as const) for (const seed of [1, 2, 3]) expected.push([valFraction, nVal, seed]);
  if (splits.length !== expected.length) return `${splits.length} splits observed, expected ${expected.length}`;
  return all(
    ...expected.map(([valFraction, nVal, seed], k) => {
      const sp = splits[k]!;
      if (sp.valFraction !== valFraction || sp.seed !== seed) return `split ${k} is not valFraction ${valFraction}, seed ${seed}`;
      const train = arr(sp.train).map(num);
      const val = arr(sp.val).map(num);
      const valBlocks = new Set(val.map(blockOf));
      return all(
        equal([...train, ...val].sort((a, b) => a - b), expectedStarts, `window starts (valFraction ${valFraction}, seed ${seed})`),
        valBlocks.size === nVal || `validation blocks for valFraction ${valFraction} (seed ${seed}): ${valBlocks.size}, expected ${nVal}`,
        train.every((s) => !valBlocks.has(blockOf(s))) || `a training window in a validation block (valFraction ${valFraction}, seed ${seed})`,
      );
    }),
  );
}

// ───────── task 2 ─────────
function logitShapes(obs: Observations): Verdict {
  const seen = obj(obs.logits);
  return all(
    ...(['lstm', 'gru'] as const).map((cell) => {
      const c = obj(seen[cell]);
      const values = arr(c.values).map(num);
      const rowSum = values.slice(0, 11).reduce((s, v) => s + v, 0);
      const outside01 = values.some((v) => v < 0 || v > 1);
      return all(
        equal(c.shape, [2, 7, 11], `${cell}: shape`),
        equal(c.dtype, 'float32', `${cell}: dtype`),
        equal(c.shapeB, [1, 3, 11], `${cell}: shape of a [1, 3] input`),
        outside01 || Math.abs(rowSum - 1) > 1e-3 || `${cell} output looks like a softmax`,
      );
    }),
  );
}

function paramCountFormula(V: number, E: number, cell: 'lstm' | 'gru', units: number, layers: number): number {
  const gates = cell === 'lstm' ? 4 : 3;
  let total = V * E;
  let inDim = E;
  for (let l = 0; l < layers; l++) {
    total += gates * (inDim * units + units * units + units);
    inDim = units;
  }
  return total + units * V + V;
}

/** The test's maxAbsDiff, on observed values (a value that is not a number makes it NaN, as in the test). */
function maxAbsDiff(a: unknown, b: unknown): number {
  const x = arr(a);
  const y = arr(b);
  return x.reduce<number>((m, v, i) => Math.max(m, Math.abs(num(v) - num(y[i]))), 0);
}

function dropout(obs: Observations): Verdict {
  const o = obj(obs.outputs);
  const off = obj(o.off);
  const on = obj(o.on);
  if (!isArray(off.train) || !isArray(on.train)) return 'outputs: no training-mode outputs';
  return all(
    maxAbsDiff(off.train, off.infer) < 1e-6 || 'dropout 0: training-mode output differs from inference output',
    maxAbsDiff(on.train, on.infer) > 1e-4 || 'dropout 0.5: training-mode output equals inference output',
  );
}

// ───────── task 3 ─────────
function sequenceLoss(obs: Observations): Verdict {
  const l = obj(obs.loss);
  const logits = [[[1, 2, 3], [0, 0, 0]], [[2, -1, 0.5], [5, 1, 1]]];
  const targets = [[2, 0], [1, 0]];
  let want = 0;
  logits.forEach((row, b) => row.forEach((z, t) => (want += Math.log(z.reduce((s, v) => s + Math.exp(v), 0)) - z[targets[b]![t]!]!)));
  return all(
    near(l.got, want / 4, 5, 'sequenceLoss of the hand-worked batch'),
    near(l.bigLoss, 1000, 3, 'loss for logits ±1000'),
    arr(l.grad).every(isNumber) || 'the gradient of the loss for logits ±1000 is not finite',
  );
}

function clip(obs: Observations): Verdict {
  const c = obj(obs.clipped);
  return all(near(arr(c.a)[0], 0.6, 5, 'clipped a[0]'), near(arr(c.b)[1], 0.8, 5, 'clipped b[1]'), equal(c.keptA, [3, 0], 'a under a large clip norm'), equal(c.keptB, [0, 4], 'b under a large clip norm'));
}

function optimizer(obs: Observations): Verdict {
  const o = obj(obs.optimizer);
  return all(equal(o.className, 'Adam', 'optimizer class'), near(o.learningRate, 0.004, 9, 'learning rate'));
}

// ───────── task 4 ─────────
function handProbs(obs: Observations): Verdict {
  const p = obj(obs.probs);
  const logits = [1, 2, 3, 0];
  const cold = arr(p.cold);
  const hot = arr(p.hot);
  const top2 = arr(p.top2);
  const p2 = softmax([2, 3]);
  return all(
    ...softmax(logits.map((l) => l / 0.5)).map((e, i) => near(cold[i], e, 6, `temperature 0.5, p[${i}]`)),
    ...softmax(logits.map((l) => l / 2)).map((e, i) => near(hot[i], e, 6, `temperature 2, p[${i}]`)),
    equal(p.zero, [0, 0, 1, 0], 'temperature 0'),
    equal(top2[0], 0, 'top-2, p[0]'),
    equal(top2[3], 0, 'top-2, p[3]'),
    near(top2[1], p2[0]!, 6, 'top-2, p[1]'),
    near(top2[2], p2[1]!, 6, 'top-2, p[2]'),
  );
}

function seeds(obs: Observations): Verdict {
  const t = obj(obs.texts);
  return all(same(t.again, t.a) || 'the same seed gave another text', !same(t.other, t.a) || 'seeds 7 and 8 gave the same text');
}

/** The test's entropy (bits) of a string's character histogram. */
function charEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

function entropy(obs: Observations): Verdict {
  const t = obj(obs.texts);
  if (typeof t.low !== 'string' || typeof t.high !== 'string') return 'texts: not strings';
  const gap = charEntropy(t.high) - charEntropy(t.low);
  return gap > 0.4 || `entropy T=0.25: ${charEntropy(t.low).toFixed(2)}, T=2: ${charEntropy(t.high).toFixed(2)} (gap ≤ 0.4)`;
}

function bigLogits(obs: Observations): Verdict {
  const p = obj(obs.probs);
  const logits = [1000, 998, 995, 990];
  return all(
    ...[0.5, 2].flatMap((T) => {
      const e = logits.map((l) => Math.exp((l - 1000) / T));
      const sum = e.reduce((a, b) => a + b, 0);
      // as the test: every probability returned is checked (none returned, nothing to check)
      if (!isArray(p[`T ${T}`])) return [`T = ${T}: no probabilities`];
      return arr(p[`T ${T}`]).map((v, i) => near(v, e[i]! / sum, 6, `T = ${T}, p[${i}]`));
    }),
  );
}

function defaults(obs: Observations): Verdict {
  const t = obj(obs.texts);
  return all(same(t.none, t.explicit) || 'no options: not the text of the documented defaults', same(t.empty, t.explicit) || 'options {}: not the text of the documented defaults');
}

// ───────── task 5 ─────────
function metrics(obs: Observations): Verdict {
  const m = obj(obs.metrics);
  return all(
    near(m.ppl67, 67, 4, 'perplexity(ln 67)'),
    near(m.ppl15, Math.exp(1.5), 5, 'perplexity(1.5)'),
    near(m.bits3, 3, 5, 'bitsPerChar(3 ln 2)'),
    near(m.bits15, 1.5 / Math.LN2, 5, 'bitsPerChar(1.5)'),
    near(m.perplexity, Math.exp(num(m.loss)), 4, "evaluate's perplexity"),
    near(m.bitsPerChar, num(m.loss) / Math.LN2, 5, "evaluate's bitsPerChar"),
  );
}

const T1 = 'task 1: vocabulary and windows > ';
const T2 = 'task 2: model > ';
const T4 = 'task 4: sampling > ';
export default {
  [`${T1}buildVocab lists each distinct character once, sorted`]: vocab,
  [`${T1}encode and decode round-trip the small text exactly`]: roundTrip,
  [`${T1}makeWindows slides by step and targets are the next characters`]: windows,
  [`${T1}makeWindows keeps the last window that exactly fits: n = floor((length − T − 1) / step) + 1 at boundary lengths`]: boundaryCases,
  [`${T1}splitWindows is seeded: same seed same split, other seeds other splits`]: seededSplit,
  [`${T1}splitWindows: blocks of ⌊length / blocks⌋ ids, the last takes the remainder, max(1, round(valFraction · blocks)) are validation`]: blockSplits,
  [`${T2}outputs logits of shape [batch, time, vocab] for both cells and any length`]: logitShapes,
  [`${T2}parameter count matches the formula (lstm, 2 layers)`]: { count: paramCountFormula(50, 8, 'lstm', 16, 2) },
  [`${T2}parameter count matches the formula (gru, 3 layers)`]: { count: paramCountFormula(30, 5, 'gru', 12, 3) },
  [`${T2}dropout > 0 is active in training mode only; dropout 0 changes nothing`]: dropout,
  'task 3: training > sequenceLoss is the mean cross-entropy from logits (hand-worked numbers)': sequenceLoss,
  'task 3: training > clipByGlobalNorm rescales all gradients together and leaves small ones alone': clip,
  'task 3: training > makeOptimizer returns Adam with the given learning rate': optimizer,
  [`${T4}nextCharProbs applies temperature and top-k (hand-worked numbers)`]: handProbs,
  [`${T4}same seed gives the same text, different seeds different text`]: seeds,
  [`${T4}higher temperature gives higher measured character entropy`]: entropy,
  [`${T4}nextCharProbs does not overflow for logits near 1000 at temperatures 0.5 and 2`]: bigLogits,
  [`${T4}generate defaults to temperature 1, topK 0, seed 0, contextLength 64`]: defaults,
  'task 5: evaluation > perplexity is exp(loss) and bits per character is loss / ln 2': metrics,
} satisfies Judge;
