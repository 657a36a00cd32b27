/**
 * Fashion-MNIST (Zalando): 28×28 greyscale clothing images, 10 classes, 60k train / 10k test.
 * The gz IDX files are parsed once per process and cached; every call returns fresh arrays.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';
import { makeRng, permutation } from '../random.js';
import { readIdx } from './idx.js';
import { dataFile } from './paths.js';

export const FASHION_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

export interface ImageSet {
  /** n*28*28 pixels in [0, 1], row-major, image after image */
  images: Float32Array;
  /** class ids 0..9 (indices into FASHION_CLASSES, also when `classes` filters them) */
  labels: Int32Array;
  n: number;
  height: 28;
  width: 28;
}

export interface FashionOptions {
  /** at most this many examples (a seeded random subset) */
  limit?: number;
  /** keep only these class ids (labels keep their original ids) */
  classes?: number[];
  /** exactly this many examples of each kept class (a seeded random subset) */
  perClass?: number;
  /** seed for the subset choice and its order; default 0 */
  seed?: number;
}

type Split = 'train' | 'test';
const FILES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' },
  test: { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' },
};
const SIDE = 28;
const PIXELS = SIDE * SIDE;

interface RawSplit {
  pixels: Uint8Array;
  labels: Uint8Array;
  n: number;
}
const cache = new Map<Split, RawSplit>();

function loadRaw(split: Split): RawSplit {
  const hit = cache.get(split);
  if (hit) return hit;
  const imagesFile = dataFile('fashion-mnist', FILES[split].images);
  const labelsFile = dataFile('fashion-mnist', FILES[split].labels);
  const images = readIdx(imagesFile);
  const labels = readIdx(labelsFile);
  const restore = 'restore the bundled data with `git checkout -- data/fashion-mnist/` (see data/README.md)';
  if (images.dims.length !== 3 || images.dims[1] !== SIDE || images.dims[2] !== SIDE) {
    throw new CourseError(`${imagesFile} holds [${images.dims.join(',')}], expected images [n,28,28]`, restore);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new CourseError(
      `${labelsFile} holds [${labels.dims.join(',')}], expected ${images.dims[0]} labels to match ${imagesFile}`,
      restore,
    );
  }
  const bad = labels.data.findIndex((l) => l > 9);
  if (bad >= 0) throw new CourseError(`${labelsFile}: label ${labels.data[bad]} at index ${bad} is not a class id 0..9`, restore);
  const raw = { pixels: images.data, labels: labels.data, n: images.dims[0]! };
  cache.set(split, raw);
  return raw;
}

function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new CourseError(`loadFashionMnist: ${name} must be a positive integer, got ${value}`, `pass e.g. { ${name}: 1000 }`);
  }
}

/** Loads one split, optionally filtered to some classes and/or a seeded, class-balanced subset. */
export function loadFashionMnist(split: 'train' | 'test', opts: FashionOptions = {}): ImageSet {
  if (split !== 'train' && split !== 'test') {
    throw new CourseError(`loadFashionMnist: unknown split '${String(split)}'`, "use 'train' (60,000 images) or 'test' (10,000)");
  }
  const { limit, classes, perClass, seed = 0 } = opts;
  checkCount('limit', limit);
  checkCount('perClass', perClass);
  if (!Number.isInteger(seed)) throw new CourseError(`loadFashionMnist: seed must be an integer, got ${seed}`, 'pass e.g. { seed: 1 }');
  if (classes !== undefined) {
    const ok = classes.length > 0 && classes.every((c) => Number.isInteger(c) && c >= 0 && c <= 9);
    if (!ok || new Set(classes).size !== classes.length) {
      throw new CourseError(
        `loadFashionMnist: classes must be distinct ids 0..9, got [${classes.join(',')}]`,
        `pick from ${FASHION_CLASSES.map((c, i) => `${i}=${c}`).join(', ')}`,
      );
    }
  }

  const raw = loadRaw(split);
  const keep = new Set(classes ?? FASHION_CLASSES.map((_, i) => i));
  let chosen: number[];
  if (limit === undefined && perClass === undefined) {
    // No subset asked for: everything (of the kept classes) in file order.
    chosen = [];
    for (let i = 0; i < raw.n; i++) if (keep.has(raw.labels[i]!)) chosen.push(i);
  } else {
    // Walk a seeded permutation so the subset and its (class-mixed) order depend only on the seed.
    const order = permutation(raw.n, makeRng(seed));
    const taken = new Map<number, number>();
    chosen = [];
    for (const i of order) {
      const label = raw.labels[i]!;
      if (!keep.has(label)) continue;
      if (perClass !== undefined) {
        const count = taken.get(label) ?? 0;
        if (count >= perClass) continue;
        taken.set(label, count + 1);
      }
      chosen.push(i);
    }
    if (perClass !== undefined) {
      for (const c of keep) {
        if ((taken.get(c) ?? 0) < perClass) {
          throw new CourseError(
            `loadFashionMnist('${split}'): asked for ${perClass} per class but class ${c} (${FASHION_CLASSES[c]}) has only ${taken.get(c) ?? 0}`,
            `use perClass ≤ ${split === 'train' ? 6000 : 1000}`,
          );
        }
      }
    }
    if (limit !== undefined) chosen = chosen.slice(0, limit);
  }

  const n = chosen.length;
  const images = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  chosen.forEach((src, dst) => {
    labels[dst] = raw.labels[src]!;
    const from = src * PIXELS;
    for (let p = 0; p < PIXELS; p++) images[dst * PIXELS + p] = raw.pixels[from + p]! / 255;
  });
  return { images, labels, n, height: SIDE, width: SIDE };
}

/** The images as a [n,28,28,1] tensor, pixel values mapped linearly from [0,1] to `range`. */
export function imagesToTensor(set: ImageSet, range: [number, number] = [0, 1]): tf.Tensor4D {
  const [lo, hi] = range;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new CourseError(`imagesToTensor: range must be [lo, hi] with lo < hi, got [${range.join(', ')}]`, 'use [0, 1] or [-1, 1]');
  }
  if (set.images.length !== set.n * PIXELS) {
    throw new CourseError(
      `imagesToTensor: set.images has ${set.images.length} values, expected n*28*28 = ${set.n * PIXELS}`,
      'pass an ImageSet from loadFashionMnist() without resizing its arrays',
    );
  }
  let values = set.images;
  if (lo !== 0 || hi !== 1) {
    values = new Float32Array(set.images.length);
    for (let i = 0; i < values.length; i++) values[i] = lo + set.images[i]! * (hi - lo);
  }
  return tf.tensor4d(values, [set.n, SIDE, SIDE, 1]);
}
