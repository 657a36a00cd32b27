/**
 * The grader's second look at 07's cheap visible tests (issue 21 4(d); docs/GRADER.md "Judged
 * visible tests"): each test still asserts in its own process and, in a graded run, also
 * observes what the submission returned; the grader's parent repeats the same checks here, with
 * the test's own tolerances (never stricter), in plain TypeScript without tfjs: the worked
 * examples by their fixed values, parameter counts, shapes and receptive fields by the same
 * arithmetic, the filter images from the weights the test observed.
 */
import type { Judge, Observations, Verdict } from '../lib/grader/judge.js';

type Padding = 'valid' | 'same';
type Layer = { type: 'conv'; filters: number; kernel: number; stride?: number; padding?: Padding } | { type: 'pool'; size: number; stride?: number; padding?: Padding } | { type: 'flatten' } | { type: 'dense'; units: number };

function all(...verdicts: Verdict[]): Verdict {
  return verdicts.find((v) => v !== true) ?? true;
}

/** exact equality of plain JSON values, as the test's toEqual/toBe on numbers and arrays */
const same = (actual: unknown, expected: unknown, what: string): Verdict =>
  JSON.stringify(actual) === JSON.stringify(expected) || `${what}: ${JSON.stringify(actual)?.slice(0, 200)}, expected ${JSON.stringify(expected)}`;

/** nested arrays → their numbers in row-major order (a tensor's dataSync order) */
const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);

const outSize = (n: number, k: number, s: number, p: Padding): number => (p === 'valid' ? Math.floor((n - k) / s) + 1 : Math.ceil(n / s));

/** the same layers counted by hand: what tfjs's countParams and outputShape give in the test */
function countParams(input: [number, number, number], layers: Layer[]): { perLayer: number[]; total: number; shapes: number[][] } {
  let shape: number[] = input;
  const perLayer: number[] = [];
  const shapes: number[][] = [];
  for (const l of layers) {
    const [h = 0, w = 0, c = 0] = shape;
    if (l.type === 'conv') {
      const s = l.stride ?? 1, p = l.padding ?? 'valid';
      perLayer.push((l.kernel * l.kernel * c + 1) * l.filters);
      shape = [outSize(h, l.kernel, s, p), outSize(w, l.kernel, s, p), l.filters];
    } else if (l.type === 'pool') {
      const s = l.stride ?? l.size, p = l.padding ?? 'valid';
      perLayer.push(0);
      shape = [outSize(h, l.size, s, p), outSize(w, l.size, s, p), c];
    } else if (l.type === 'flatten') {
      perLayer.push(0);
      shape = [shape.reduce((a, b) => a * b, 1)];
    } else {
      perLayer.push((shape[0]! + 1) * l.units);
      shape = [l.units];
    }
    shapes.push(shape);
  }
  return { perLayer, total: perLayer.reduce((a, b) => a + b, 0), shapes };
}

/** 1 + Σ (k − 1)·(product of the strides before) */
function receptiveField(layers: Layer[]): number {
  let r = 1, jump = 1;
  for (const l of layers) {
    if (l.type !== 'conv' && l.type !== 'pool') continue;
    const k = l.type === 'conv' ? l.kernel : l.size;
    r += (k - 1) * jump;
    jump *= l.stride ?? (l.type === 'pool' ? l.size : 1);
  }
  return r;
}

const CNN_LAYERS: Layer[] = [
  { type: 'conv', filters: 8, kernel: 3, padding: 'same' },
  { type: 'pool', size: 2 },
  { type: 'conv', filters: 16, kernel: 3, padding: 'same' },
  { type: 'pool', size: 2 },
  { type: 'flatten' },
  { type: 'dense', units: 10 },
];
const COUNTED: [string, [number, number, number], Layer[]][] = [
  ['the small CNN', [28, 28, 1], CNN_LAYERS],
  ['a strided valid CNN', [28, 28, 3], [{ type: 'conv', filters: 6, kernel: 5, stride: 2 }, { type: 'pool', size: 3, stride: 2, padding: 'same' }, { type: 'conv', filters: 4, kernel: 3 }, { type: 'flatten' }, { type: 'dense', units: 7 }]],
  ['an MLP', [28, 28, 1], [{ type: 'flatten' }, { type: 'dense', units: 64 }, { type: 'dense', units: 10 }]],
];
const FIELD_STACKS: Layer[][] = [
  [{ type: 'conv', filters: 1, kernel: 3 }],
  [{ type: 'conv', filters: 1, kernel: 3 }, { type: 'conv', filters: 1, kernel: 3 }],
  CNN_LAYERS.slice(0, 4),
  [{ type: 'conv', filters: 2, kernel: 5, stride: 2 }, { type: 'conv', filters: 2, kernel: 3 }],
  [{ type: 'conv', filters: 2, kernel: 3 }, { type: 'pool', size: 2 }, { type: 'conv', filters: 2, kernel: 3, stride: 2 }, { type: 'pool', size: 3, stride: 1 }],
];

function edgeFilter(obs: Observations): Verdict {
  const e = (obs.edge ?? {}) as Record<string, unknown>;
  return all(
    same(e.shapes, [[1, 2, 3, 1], [1, 1, 2, 1], [1, 4, 5, 1]], 'shapes (valid, stride 2, same)'),
    same(flat(e.valid), [3, 3, 0, 3, 3, 0], 'valid output'),
    same(flat(e.strided), [3, 0], 'stride 2 output'),
    same(flat(e.same).slice(5, 10), [0, 3, 3, 0, -3], "row 1 of the 'same' output"),
  );
}

function pools(obs: Observations): Verdict {
  const p = (obs.pools ?? {}) as Record<string, unknown>;
  const want = [13 / 9, 5 / 6, 19 / 6, 23 / 4];
  const sameOk = Array.isArray(p.same) && p.same.length === 4 && p.same.every((v, i) => typeof v === 'number' && Math.abs(v - want[i]!) < 1e-6);
  return all(same(p.max, [4, 0, 8, 7], 'max 2×2'), same(p.avg, [2.5, -1.5, 1.75, 5.75], 'avg 2×2'), sameOk || `avg 3×3 stride 2 same: ${JSON.stringify(p.same)}, expected ${JSON.stringify(want)} (± 1e-6)`);
}

/** Each 2×2 window's whole dy on exactly one of its maxima (any one). */
function ties(obs: Observations): Verdict {
  const g = obs.grad;
  if (!Array.isArray(g) || g.length !== 16) return 'grad: not 16 numbers';
  const xs = [2, 2, 0, 7, 2, 2, 7, 1, 3, 0, -1, -1, 0, 1, -1, -1];
  const windows = [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]];
  return all(
    ...windows.map((cells, wi): Verdict => {
      const max = Math.max(...cells.map((c) => xs[c]!));
      const nonzero = cells.filter((c) => g[c] !== 0);
      if (nonzero.length !== 1) return `window ${wi + 1}: ${nonzero.length} gradient entries ≠ 0, expected 1`;
      if (xs[nonzero[0]!] !== max) return `window ${wi + 1}: the gradient is not on a maximum`;
      return g[nonzero[0]!] === [10, 20, 30, 40][wi] || `window ${wi + 1}: ${String(g[nonzero[0]!])}, expected the whole dy ${[10, 20, 30, 40][wi]}`;
    }),
  );
}

/**
 * (w − min)/(max − min) per filter from the observed [3, 3, 1, 8] kernel. The test compares with
 * the same formula in float32 to 1e-5; float64 here differs from that by < 1e-6 (values in [0, 1]).
 */
function filterImages(obs: Observations): Verdict {
  const f = (obs.filters ?? {}) as Record<string, unknown>;
  const k = flat(f.kernel);
  const img = flat(f.images);
  if (k.length !== 72 || img.length !== 72 || !k.every((v) => typeof v === 'number')) return 'filters: not 72 weights and 72 pixels';
  const w = k as number[];
  const verdicts: Verdict[] = [];
  for (let filter = 0; filter < 8; filter++) {
    const vals = Array.from({ length: 9 }, (_, p) => w[p * 8 + filter]!); // kernel [i][j][0][filter]
    const lo = Math.min(...vals), hi = Math.max(...vals);
    vals.forEach((v, p) => {
      const got = img[filter * 9 + p];
      const want = (v - lo) / (hi - lo);
      if (!(typeof got === 'number' && Math.abs(got - want) <= 1e-5 + 1e-6)) verdicts.push(`filter ${filter}, pixel ${p}: ${String(got)}, expected ${want}`);
    });
  }
  return all(...verdicts, same(obs['constant filter'], new Array(9).fill(0.5), 'a constant filter'));
}

export default {
  'task 1: convolution by hand > convOutputSize is ⌊(n − k)/s⌋ + 1 for valid padding and ⌈n/s⌉ for same': { sizes: [26, 12, 3, 3, 1, 28, 4, 4, 3, 4] },
  'task 1: convolution by hand > samePadding puts the odd pixel after (bottom/right), at odd and even sizes': { paddings: [[1, 1], [1, 1], [0, 1], [0, 1], [1, 2], [2, 2], [0, 0], [1, 2]] },
  'task 1: convolution by hand > conv2d gives the hand-worked output of an edge filter': edgeFilter,
  'task 2: pooling and its gradient > pooling gives the hand-worked values (stride defaults to the window size)': pools,
  'task 2: pooling and its gradient > maxPoolBackward with ties gives each window its whole gradient at ONE of its maxima': ties,
  'task 3: parameter sharing in numbers > convParams is (k·k·cin + 1)·cout': { params: [80, 1168, 4864, 68] },
  'task 3: parameter sharing in numbers > countParams agrees with tfjs on a CNN, a strided valid CNN and an MLP, layer by layer': (obs) =>
    all(...COUNTED.map(([name, input, layers]) => {
      const want = countParams(input, layers);
      const got = (obs[name] ?? {}) as Record<string, unknown>;
      return all(same(got.perLayer, want.perLayer, `${name}: parameters per layer`), same(got.total, want.total, `${name}: total`), same(got.shapes, want.shapes, `${name}: output shapes`));
    })),
  'task 3: parameter sharing in numbers > receptiveField matches hand-worked stacks and the gradient of one output pixel': (obs) => same(obs.fields, FIELD_STACKS.map(receptiveField), 'receptive fields'),
  'task 5: what it sees, and what shifting does > shiftImages moves the content and lets zeros in (hand-worked)': {
    shifts: [[0, 0, 0, 1, 2, 3, 4, 5, 6], [2, 3, 0, 5, 6, 0, 8, 9, 0], [0, 0, 4, 0, 0, 7, 0, 0, 0], new Array(9).fill(0), [1, 2, 3, 4, 5, 6, 7, 8, 9]],
  },
  'task 5: what it sees, and what shifting does > filterImages gives the first-layer filters as [filters, k, k, 1] images, each scaled to [0, 1] on its own': filterImages,
} satisfies Judge;
