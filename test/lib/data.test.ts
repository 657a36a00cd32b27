/** Unit tests of lib/data: the bundled files, their validation and the seeded split helpers. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { CourseError } from '../../lib/errors.js';
import { makeRng } from '../../lib/random.js';
import { DATA_DIR, dataFile } from '../../lib/data/paths.js';
import { readIdx } from '../../lib/data/idx.js';
import { FASHION_CLASSES, imagesToTensor, loadFashionMnist } from '../../lib/data/fashion-mnist.js';
import { loadIris, parseIrisCsv } from '../../lib/data/iris.js';
import { batchIndices, standardize, stratifiedSplit } from '../../lib/data/split.js';
import { charVocab, loadText } from '../../lib/data/text.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'course-data-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs fn, expects a CourseError, returns it for further checks. */
function courseErrorOf(fn: () => unknown): CourseError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CourseError);
    return err as CourseError;
  }
  throw new Error('expected a CourseError, nothing was thrown');
}

function countBy(labels: ArrayLike<number>): Map<number, number> {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i]!, (counts.get(labels[i]!) ?? 0) + 1);
  return counts;
}

describe('paths', () => {
  it('DATA_DIR is the repo data folder and dataFile resolves files in it', () => {
    expect(path.basename(DATA_DIR)).toBe('data');
    expect(existsSync(path.join(DATA_DIR, 'README.md'))).toBe(true);
    expect(dataFile('iris.csv')).toBe(path.join(DATA_DIR, 'iris.csv'));
  });

  it('a missing data file names the file and how to restore it', () => {
    const err = courseErrorOf(() => dataFile('fashion-mnist', 'no-such-file.gz'));
    expect(err.message).toContain('data/fashion-mnist/no-such-file.gz');
    expect(err.fix).toContain('git checkout -- data/');
    expect(err.fix).toContain('scripts/fetch-data.sh');
  });
});

describe('readIdx', () => {
  const labelsGz = dataFile('fashion-mnist', 't10k-labels-idx1-ubyte.gz');
  const labelsRaw = gunzipSync(readFileSync(labelsGz));

  it('reads the gz and the raw form identically', () => {
    const gz = readIdx(labelsGz);
    const rawFile = path.join(tmp, 'labels.idx');
    writeFileSync(rawFile, labelsRaw);
    const raw = readIdx(rawFile);
    expect(gz.dims).toEqual([10000]);
    expect(raw.dims).toEqual([10000]);
    expect(Buffer.from(raw.data).equals(Buffer.from(gz.data))).toBe(true);
  });

  it('rejects a bad magic number, naming the file', () => {
    const bad = Buffer.from(labelsRaw);
    bad[3] = 0x02; // 0x00000802: not an image or label file
    const file = path.join(tmp, 'bad-magic-labels.idx.gz');
    writeFileSync(file, gzipSync(bad));
    const err = courseErrorOf(() => readIdx(file));
    expect(err.message).toContain(file);
    expect(err.message).toContain('magic');
    expect(err.fix).toContain('git checkout -- data/');
  });

  it('rejects truncated data (raw and gz), naming the file', () => {
    const shortRaw = path.join(tmp, 'short.idx');
    writeFileSync(shortRaw, labelsRaw.subarray(0, labelsRaw.length - 100));
    const rawErr = courseErrorOf(() => readIdx(shortRaw));
    expect(rawErr.message).toContain(shortRaw);
    expect(rawErr.message).toContain('truncated');

    const gz = readFileSync(labelsGz);
    const shortGz = path.join(tmp, 'short.idx.gz');
    writeFileSync(shortGz, gz.subarray(0, Math.floor(gz.length / 2)));
    expect(courseErrorOf(() => readIdx(shortGz)).message).toContain(shortGz);

    const tiny = path.join(tmp, 'tiny.idx');
    writeFileSync(tiny, Buffer.from([0, 0, 8, 3, 0, 0]));
    expect(courseErrorOf(() => readIdx(tiny)).message).toContain(tiny);
  });

  it('a missing IDX file is a CourseError naming it', () => {
    const file = path.join(tmp, 'absent.idx.gz');
    expect(courseErrorOf(() => readIdx(file)).message).toContain(file);
  });
});

describe('Fashion-MNIST', () => {
  it('test split: 10,000 images in [0,1], labels 0..9, 1,000 per class', () => {
    const set = loadFashionMnist('test');
    expect(FASHION_CLASSES).toHaveLength(10);
    expect(set.n).toBe(10000);
    expect([set.height, set.width]).toEqual([28, 28]);
    expect(set.images.length).toBe(10000 * 28 * 28);
    expect(set.labels.length).toBe(10000);
    let min = Infinity;
    let max = -Infinity;
    for (const v of set.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    const counts = countBy(set.labels);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const c of counts.values()) expect(c).toBe(1000);
  });

  it('train split has 60,000 labels, 6,000 per class', () => {
    const labels = readIdx(dataFile('fashion-mnist', 'train-labels-idx1-ubyte.gz'));
    const images = readIdx(dataFile('fashion-mnist', 'train-images-idx3-ubyte.gz'));
    expect(labels.dims).toEqual([60000]);
    expect(images.dims).toEqual([60000, 28, 28]);
    for (const c of countBy(labels.data).values()) expect(c).toBe(6000);
  });

  it('perClass/classes/limit give a seeded, balanced subset', () => {
    const a = loadFashionMnist('test', { perClass: 20, classes: [0, 9], seed: 7 });
    const b = loadFashionMnist('test', { perClass: 20, classes: [0, 9], seed: 7 });
    const c = loadFashionMnist('test', { perClass: 20, classes: [0, 9], seed: 8 });
    expect(a.n).toBe(40);
    expect(Object.fromEntries(countBy(a.labels))).toEqual({ 0: 20, 9: 20 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(Array.from(a.images)).toEqual(Array.from(b.images));
    expect(Array.from(a.images)).not.toEqual(Array.from(c.images));
    // the subset is mixed, not 20 of one class then 20 of the other
    expect(new Set(Array.from(a.labels.slice(0, 10))).size).toBe(2);

    const limited = loadFashionMnist('test', { limit: 50, seed: 1 });
    expect(limited.n).toBe(50);
    expect(limited.images.length).toBe(50 * 784);
  });

  it('rejects bad options with a CourseError', () => {
    expect(courseErrorOf(() => loadFashionMnist('test', { perClass: 1001 })).message).toContain('only 1000');
    expect(courseErrorOf(() => loadFashionMnist('test', { classes: [3, 10] })).message).toContain('classes');
    expect(courseErrorOf(() => loadFashionMnist('test', { limit: 0 })).message).toContain('limit');
    expect(courseErrorOf(() => loadFashionMnist('valid' as 'test')).message).toContain("'valid'");
  });

  it('imagesToTensor: [n,28,28,1], mapped to the range, no leaked tensors', () => {
    const set = loadFashionMnist('test', { limit: 16, seed: 2 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const x = imagesToTensor(set, [-1, 1]);
      expect(x.shape).toEqual([16, 28, 28, 1]);
      const [lo, hi] = tf.tidy(() => [x.min().arraySync(), x.max().arraySync()]);
      expect([lo, hi]).toEqual([-1, 1]);
      expect(x.dataSync()[100]).toBeCloseTo(set.images[100]! * 2 - 1, 6);
      x.dispose();
      const unit = imagesToTensor(set);
      expect(unit.dataSync()[200]).toBeCloseTo(set.images[200]!, 6);
      unit.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(() => imagesToTensor(set, [1, 0])).toThrow(CourseError);
  });
});

describe('Iris', () => {
  it('150×4 features, 50 of each species, known rows', () => {
    const iris = loadIris();
    expect(iris.features).toHaveLength(150);
    expect(iris.features.every((r) => r.length === 4)).toBe(true);
    expect(iris.featureNames).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(iris.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(Object.fromEntries(countBy(iris.labels))).toEqual({ 0: 50, 1: 50, 2: 50 });
    expect(iris.features[0]).toEqual([5.1, 3.5, 1.4, 0.2]);
    expect(iris.features[50]).toEqual([7.0, 3.2, 4.7, 1.4]);
    expect(iris.labels[50]).toBe(1);
    expect(iris.features[149]).toEqual([5.9, 3.0, 5.1, 1.8]);
    expect(iris.labels[149]).toBe(2);
  });

  it('a damaged CSV gives a CourseError naming the file and line', () => {
    const text = readFileSync(dataFile('iris.csv'), 'utf8');
    const lines = text.split('\n');
    const withBadSpecies = [...lines];
    withBadSpecies[3] = withBadSpecies[3]!.replace('setosa', 'rose');
    const err = courseErrorOf(() => parseIrisCsv(withBadSpecies.join('\n'), 'damaged.csv'));
    expect(err.message).toContain('damaged.csv line 4');
    expect(err.message).toContain('rose');
    const withText = [...lines];
    withText[5] = withText[5]!.replace(/^[^,]+/, 'abc');
    expect(courseErrorOf(() => parseIrisCsv(withText.join('\n'), 'x.csv')).message).toContain('not a number');
    expect(courseErrorOf(() => parseIrisCsv(lines.slice(0, 100).join('\n'), 'x.csv')).message).toContain('99 data rows');
  });
});

describe('split helpers', () => {
  // 3 classes of unequal size, in sorted order like the Iris file
  const labels = [...Array(60).fill(0), ...Array(30).fill(1), ...Array(10).fill(2)] as number[];

  it('stratifiedSplit is disjoint, covers every index and keeps class proportions', () => {
    const s = stratifiedSplit(labels, { val: 0.1, test: 0.2 }, 42);
    const all = [...s.train, ...s.val, ...s.test];
    expect(all).toHaveLength(labels.length);
    expect(new Set(all).size).toBe(labels.length);
    expect([...all].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    const testCounts = countBy(s.test.map((i) => labels[i]!));
    const valCounts = countBy(s.val.map((i) => labels[i]!));
    expect(Object.fromEntries(testCounts)).toEqual({ 0: 12, 1: 6, 2: 2 });
    expect(Object.fromEntries(valCounts)).toEqual({ 0: 6, 1: 3, 2: 1 });
    // parts come back mixed, not sorted by class
    expect(s.train).not.toEqual([...s.train].sort((a, b) => a - b));
  });

  it('stratifiedSplit: same seed → same split, other seed → other split', () => {
    const a = stratifiedSplit(labels, { test: 0.25 }, 5);
    const b = stratifiedSplit(labels, { test: 0.25 }, 5);
    const c = stratifiedSplit(labels, { test: 0.25 }, 6);
    expect(a).toEqual(b);
    expect(a.val).toEqual([]);
    expect(new Set(a.test)).not.toEqual(new Set(c.test));
    expect(() => stratifiedSplit(labels, { val: 0.5, test: 0.5 }, 1)).toThrow(CourseError);
    expect(() => stratifiedSplit([0, 1.5], { test: 0.5 }, 1)).toThrow(CourseError);
  });

  it('batchIndices covers 0..n-1 in batches, shuffled reproducibly with an rng', () => {
    const plain = batchIndices(10, 4);
    expect(plain).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const a = batchIndices(100, 32, makeRng(3));
    const b = batchIndices(100, 32, makeRng(3));
    expect(a).toEqual(b);
    expect(a.map((batch) => batch.length)).toEqual([32, 32, 32, 4]);
    expect(a.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(a.flat()).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(() => batchIndices(10, 0)).toThrow(CourseError);
  });

  it('standardize uses the statistics of the rows it is given (train only)', () => {
    const train = [
      [1, 10, 5],
      [3, 30, 5],
      [5, 50, 5],
    ];
    const test = [[101, 1000, 5]];
    const s = standardize(train);
    expect(s.mean).toEqual([3, 30, 5]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(s.std[1]).toBeCloseTo(Math.sqrt(800 / 3), 12);
    expect(s.std[2]).toBe(1); // constant column: no division by zero
    const z = s.apply(train);
    for (let c = 0; c < 2; c++) {
      const col = z.map((r) => r[c]!);
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      const variance = col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length;
      expect(mean).toBeCloseTo(0, 12);
      expect(variance).toBeCloseTo(1, 12);
    }
    expect(z.map((r) => r[2])).toEqual([0, 0, 0]);
    // test rows are scaled with the train statistics, not their own
    expect(s.apply(test)[0]![0]).toBeCloseTo((101 - 3) / Math.sqrt(8 / 3), 10);
    expect(() => s.apply([[1, 2]])).toThrow(CourseError);
    expect(() => standardize([[1, NaN]])).toThrow(CourseError);
    expect(() => standardize([])).toThrow(CourseError);
  });
});

describe('text', () => {
  it('the Sherlock Holmes book is 0.5–1 MB without the Gutenberg wrapper', () => {
    const book = loadText('sherlock');
    expect(book.length).toBeGreaterThan(500_000);
    expect(Buffer.byteLength(book)).toBeLessThan(1_000_000);
    expect(book.startsWith('THE ADVENTURES OF SHERLOCK HOLMES')).toBe(true);
    expect(book).not.toMatch(/gutenberg/i);
    expect(book).not.toContain('\r');
    expect(book.trimEnd().endsWith('considerable success.')).toBe(true);
  });

  it('the small text is ≤30 KB and the start of the book', () => {
    const small = loadText('small');
    expect(Buffer.byteLength(small)).toBeLessThanOrEqual(30_000);
    expect(small.length).toBeGreaterThan(20_000);
    expect(loadText('sherlock')).toContain(small.trimEnd());
    expect(() => loadText('moby' as 'small')).toThrow(CourseError);
  });

  it('charVocab round-trips text and rejects unknown characters/ids', () => {
    const book = loadText('sherlock');
    const vocab = charVocab(book);
    expect(vocab.size).toBe(81);
    expect(vocab.chars).toContain('é');
    const sample = book.slice(10_000, 12_000);
    const ids = vocab.encode(sample);
    expect(ids.length).toBe(sample.length);
    expect(Math.max(...ids)).toBeLessThan(vocab.size);
    expect(vocab.decode(ids)).toBe(sample);
    expect(() => vocab.encode('~')).toThrow(CourseError);
    expect(() => vocab.decode([vocab.size])).toThrow(CourseError);
  });
});
