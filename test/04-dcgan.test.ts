/**
 * Graded tests for 04-dcgan. Tiny models (width 4, latentDim 16) keep the file inside its time
 * budget on the wasm backend; the full-size run is `course train 04-dcgan`.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as gan from '@target/04-dcgan/index.js';
import { imagesToTensor, loadFashionMnist } from '../lib/data/fashion-mnist.js';
import { CourseError } from '../lib/errors.js';
import { frechetDistance } from '../lib/metrics/frechet.js';
import { FID_CLASSIFIER_DIR } from '../lib/pretrain/fid-classifier.js';
import { makeRng } from '../lib/random.js';
import { countLeak, leakDetails, loadModel } from '../lib/train/index.js';
import { constantImages, recordImageRows } from './support/record-inputs.js';
import { observe } from '../lib/grader/observe.js';

const TINY = { latentDim: 16, width: 4, dropout: 0, seed: 3 };

/** Noise exactly as the contract says: row by row from rng.normal(). */
function noiseFrom(rng: ReturnType<typeof makeRng>, n: number, dim: number): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from({ length: n * dim }, () => rng.normal()), [n, dim]);
}

/** Mean binary cross-entropy with logits, written out independently of the student's code. */
function bce(logits: number[], target: number): number {
  const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  return logits.reduce((s, x) => s + softplus(x) - target * x, 0) / logits.length;
}

function snapshot(model: tf.LayersModel): Float32Array[] {
  return model.trainableWeights.map((w) => w.read().dataSync().slice() as Float32Array);
}

function maxChange(before: Float32Array[], model: tf.LayersModel): number {
  let m = 0;
  model.trainableWeights.forEach((w, i) => {
    const now = w.read().dataSync();
    for (let k = 0; k < now.length; k++) m = Math.max(m, Math.abs(now[k]! - before[i]![k]!));
  });
  return m;
}

function scalar(t: tf.Scalar): number {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

/**
 * Sets D's last weighted layer (the Dense(1) of the contract) to kernel 0 and bias `logit`, so a
 * D that returns logits outputs exactly `logit` for every image. A sigmoid on the output would
 * give σ(logit) instead (≈ 2e-9 for −20): the logit contract, observed through D's own output.
 */
function pinLogit(d: tf.LayersModel, logit: number): void {
  const last = d.layers.filter((l) => l.getWeights().length > 0).at(-1)!;
  const [kernel, bias] = last.getWeights();
  const pinned = [tf.zerosLike(kernel!), ...(bias ? [tf.fill(bias.shape, logit)] : [])];
  last.setWeights(pinned);
  tf.dispose(pinned);
}

/** For each image of `a`, the L2 distance to its nearest image in `b` (computed here). */
function nearestDistances(a: tf.Tensor4D, b: tf.Tensor4D): number[] {
  return tf.tidy(() => {
    const x = a.reshape([a.shape[0], -1]);
    const y = b.reshape([b.shape[0], -1]);
    // ‖x − y‖² = ‖x‖² + ‖y‖² − 2x·y, clamped at 0 against rounding
    const d2 = tf.sub(tf.add(tf.sum(tf.square(x), 1, true), tf.sum(tf.square(y), 1).reshape([1, -1])), tf.mul(2, tf.matMul(x, y, false, true)));
    return Array.from(tf.sqrt(tf.maximum(tf.min(d2, 1), 0)).dataSync());
  });
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((p, r) => p - r);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

let realImages: tf.Tensor4D; // 64 real Fashion-MNIST images in [−1, 1]

beforeAll(() => {
  realImages = imagesToTensor(loadFashionMnist('train', { limit: 64, seed: 11 }), [-1, 1]);
});
afterAll(() => realImages.dispose());

describe('task 1: networks', () => {
  test('generator maps [n, latentDim] noise to [n, 28, 28, 1] images in [-1, 1]', () => {
    const g = gan.buildGenerator(TINY);
    // Large noise drives the last layer's pre-activations far past ±1; only tanh keeps them in range.
    const z = tf.mul(tf.randomNormal([8, TINY.latentDim], 0, 1, 'float32', 5), 100);
    const out = g.predict(z) as tf.Tensor;
    expect(out.shape).toEqual([8, 28, 28, 1]);
    expect(out.dtype).toBe('float32');
    const v = out.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(Math.max(...v) - Math.min(...v)).toBeGreaterThan(0.1); // not a constant image
    tf.dispose([z, out]);
    g.dispose();
  });

  test('discriminator returns one raw logit per image', () => {
    const d = gan.buildDiscriminator(TINY);
    const x = tf.mul(realImages.slice([0], [16]), 50);
    const out = d.predict(x) as tf.Tensor;
    expect(out.shape).toEqual([16, 1]);
    const v = Array.from(out.dataSync());
    // A logit is unbounded: on scaled-up inputs some fall outside [0, 1] (a sigmoid output never would).
    expect(v.some((x) => x < 0 || x > 1)).toBe(true);
    observe('logits', { shape: out.shape, values: v }); // judged again in the grader (test/04-dcgan.judge.ts)
    tf.dispose([x, out]);
    d.dispose();
  });

  test('parameter counts match the DCGAN layer formula for the default config', () => {
    const g = gan.buildGenerator();
    const d = gan.buildDiscriminator();
    const z = 100, w = 64, k = 5 * 5;
    const dense = 7 * 7 * 2 * w;
    // G: Dense(no bias) + BN(γ,β,mean,var) + ConvT(no bias) + BN + ConvT(1 filter + bias)
    const gTotal = z * dense + 4 * dense + k * 2 * w * w + 4 * w + (k * w + 1);
    const gTrainable = z * dense + 2 * dense + k * 2 * w * w + 2 * w + (k * w + 1);
    // D: Conv(1→w) + Conv(w→2w) + Dense(7·7·2w → 1), all with biases
    const dTotal = (k * w + w) + (k * w * 2 * w + 2 * w) + (7 * 7 * 2 * w + 1);
    const counts = { g: g.countParams(), gTrainable: g.trainableWeights.reduce((s, v) => s + v.read().size, 0), d: d.countParams(), gInput: g.inputs[0]!.shape };
    expect(counts.g).toBe(gTotal);
    expect(counts.gTrainable).toBe(gTrainable);
    expect(counts.d).toBe(dTotal);
    expect(counts.gInput).toEqual([null, 100]);
    observe('counts', counts);
    g.dispose();
    d.dispose();
  });
});

describe('task 2: losses', () => {
  test('at logit 0 every BCE term is ln 2', () => {
    const zeros = tf.zeros([5, 1]);
    const losses = { d: scalar(gan.discriminatorLoss(zeros, zeros)), g: scalar(gan.generatorLoss(zeros)) };
    expect(losses.d).toBeCloseTo(2 * Math.LN2, 5);
    expect(losses.g).toBeCloseTo(Math.LN2, 5);
    observe('losses', losses);
    zeros.dispose();
  });

  test('discriminatorLoss matches hand-computed BCE for confident logits', () => {
    const real = [8, -3, 0.5, 20];
    const fake = [-9, 2, -0.5, -30];
    const r = tf.tensor2d(real, [4, 1]);
    const f = tf.tensor2d(fake, [4, 1]);
    // real images are labelled 1, fakes 0
    const expected = bce(real, 1) + bce(fake, 0);
    const loss = scalar(gan.discriminatorLoss(r, f));
    expect(loss).toBeCloseTo(expected, 4);
    observe('loss', loss);
    tf.dispose([r, f]);
  });

  test('generatorLoss matches -mean log sigmoid(fake logit)', () => {
    const fake = [-9, 2, -0.5, 30];
    const f = tf.tensor2d(fake, [4, 1]);
    const loss = scalar(gan.generatorLoss(f));
    expect(loss).toBeCloseTo(bce(fake, 1), 4);
    observe('loss', loss);
    f.dispose();
  });

  test('generatorLoss is non-saturating: its gradient stays near -1/n when D rejects the fakes', () => {
    const f = tf.tensor1d([-12, -12, -12, -12]);
    const grad = tf.grad((x: tf.Tensor) => gan.generatorLoss(x))(f);
    // d/dx[-log σ(x)] = σ(x) − 1 ≈ −1 at x = −12; the saturating log(1 − σ(x)) has gradient ≈ −6e-6.
    for (const g of grad.dataSync()) expect(g).toBeCloseTo(-0.25, 3);
    observe('grad', grad.dataSync());
    tf.dispose([f, grad]);
  });

  test('labelSmoothing s changes the real target to 1 - s (fakes stay at 0)', () => {
    const real = [4, -1, 2];
    const fake = [-2, 1, 3];
    const r = tf.tensor1d(real);
    const f = tf.tensor1d(fake);
    const expected = bce(real, 0.9) + bce(fake, 0);
    const loss = scalar(gan.discriminatorLoss(r, f, { labelSmoothing: 0.1 }));
    expect(loss).toBeCloseTo(expected, 4);
    observe('loss', loss);
    tf.dispose([r, f]);
  });

  test('discriminatorLoss rejects labelSmoothing outside [0, 1) with a CourseError', () => {
    const r = tf.tensor1d([1, -1]);
    const f = tf.tensor1d([-1, 1]);
    for (const labelSmoothing of [1, 1.5, -0.1]) {
      expect(() => gan.discriminatorLoss(r, f, { labelSmoothing }), `labelSmoothing ${labelSmoothing}`).toThrow(CourseError);
    }
    expect(Number.isFinite(scalar(gan.discriminatorLoss(r, f, { labelSmoothing: 0 })))).toBe(true);
    tf.dispose([r, f]);
  });

  test('the losses leak no tensors', async () => {
    const r = tf.tensor1d([1, -2, 3]);
    const f = tf.tensor1d([-1, 2, 0]);
    expect(await countLeak(() => [gan.discriminatorLoss(r, f, { labelSmoothing: 0.1 }), gan.generatorLoss(f)]), leakDetails()).toBe(0);
    tf.dispose([r, f]);
  });
});

describe('task 1: networks (contract details)', () => {
  const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  const same = (a: number[][], b: number[][]) => a.length === b.length && a.every((w, i) => w.length === b[i]!.length && w.every((v, j) => v === b[i]![j]));

  test('kernel initialisers are seeded: the same config.seed gives the same G and D, another seed others', () => {
    // "Same config.seed → same initial weights" for both networks; a layer left on tfjs's
    // unseeded default initialiser draws new weights at every build.
    for (const build of [gan.buildGenerator, gan.buildDiscriminator]) {
      const [a, b, c] = [build(TINY), build(TINY), build({ ...TINY, seed: TINY.seed + 1 })];
      expect(same(weightsOf(a), weightsOf(b)), `${build.name}: two builds with seed ${TINY.seed} differ`).toBe(true);
      expect(same(weightsOf(a), weightsOf(c)), `${build.name}: seeds ${TINY.seed} and ${TINY.seed + 1} give the same weights`).toBe(false);
      for (const m of [a, b, c]) m.dispose();
    }
  });

  test('every leaky ReLU has slope 0.2 (two in G, two in D), not tfjs\'s default 0.3', () => {
    // Measured on the activation itself: each LeakyReLU layer applied to [−1, 1] must give [−0.2, 1].
    const seen: Record<string, number[][]> = { G: [], D: [] };
    for (const [name, m, count] of [['G', gan.buildGenerator(TINY), 2], ['D', gan.buildDiscriminator(TINY), 2]] as const) {
      const leaky = m.layers.filter((l) => l.getClassName() === 'LeakyReLU');
      expect(leaky.length, `${name}: number of leaky ReLU layers`).toBe(count);
      for (const l of leaky) {
        const y = tf.tidy(() => Array.from((l.apply(tf.tensor1d([-1, 1])) as tf.Tensor).dataSync()));
        seen[name]!.push(y);
        expect(y[0], `${name}: ${l.name} maps −1 to ${y[0]}`).toBeCloseTo(-0.2, 6);
        expect(y[1]).toBeCloseTo(1, 6);
      }
      m.dispose();
    }
    observe('leaky', seen); // each leaky ReLU layer's output on [−1, 1]
  });

  test('D has dropout only when dropout > 0: a new mask at every training call, none at inference', () => {
    const x = realImages.slice([0], [8]);
    const outputs = (d: tf.LayersModel, training: boolean) => tf.tidy(() => [0, 1].map(() => Array.from((d.apply(x, { training }) as tf.Tensor).dataSync())));
    const on = gan.buildDiscriminator({ ...TINY, dropout: 0.5 });
    const off = gan.buildDiscriminator(TINY);
    const dropoutLayers = (d: tf.LayersModel) => d.layers.filter((l) => l.getClassName() === 'Dropout').length;
    expect(dropoutLayers(on), 'dropout 0.5: one dropout layer after each convolution').toBe(2);
    expect(dropoutLayers(off), 'dropout 0: no dropout layers').toBe(0);
    // each dropout layer at rate `dropout`: on 4000 ones in training mode, about half are zeroed
    // (binomial sd 0.008, bound ±0.05) and the rest scaled to 1 / (1 − 0.5) = 2
    for (const l of on.layers.filter((l) => l.getClassName() === 'Dropout')) {
      const y = tf.tidy(() => Array.from((l.apply(tf.ones([4000]), { training: true }) as tf.Tensor).dataSync()));
      const zeroed = y.filter((v) => v === 0).length / y.length;
      expect(Math.abs(zeroed - 0.5), `${l.name} zeroes ${zeroed} of its inputs at dropout 0.5`).toBeLessThan(0.05);
      expect(y.filter((v) => v !== 0).every((v) => Math.abs(v - 2) < 1e-6), `${l.name}: survivors scaled by 1 / (1 − 0.5)`).toBe(true);
    }
    const [t1, t2] = outputs(on, true);
    expect(t1!.some((v, i) => v !== t2![i]), 'dropout 0.5, training: two calls must draw two masks').toBe(true);
    const [i1, i2] = outputs(on, false);
    expect(i1, 'dropout 0.5, inference: no dropout').toEqual(i2);
    const [o1, o2] = outputs(off, true);
    expect(o1, 'dropout 0, training: deterministic').toEqual(o2);
    tf.dispose(x);
    on.dispose();
    off.dispose();
  });

  test("D's output is the logit itself, with no activation: a last layer set to bias b gives exactly b (b = −20, 0, 20)", () => {
    // kernel 0 and bias b make the last Dense layer output b for every image; exact in float32
    // (0·x + b), so 1e-6 only absorbs a backend's fused multiply-add. A sigmoid (or any squashing)
    // on D's output is off by ≥ 0.5 at one of the three values.
    const x = realImages.slice([0], [4]);
    const d = gan.buildDiscriminator({ ...TINY, dropout: 0.3 });
    const seen: Record<string, number[]> = {};
    for (const b of [-20, 0, 20]) {
      pinLogit(d, b);
      for (const training of [false, true]) {
        const out = tf.tidy(() => Array.from((d.apply(x, { training }) as tf.Tensor).dataSync()));
        seen[`${b} ${training}`] = out;
        expect(out.length).toBe(4);
        for (const v of out) expect(Math.abs(v - b), `D's output ${v} for a last layer with bias ${b} (training ${training}): a logit is not squashed`).toBeLessThanOrEqual(1e-6);
      }
    }
    observe('outputs', seen); // keyed "bias training"
    x.dispose();
    d.dispose();
  });
});

describe('task 3: training step', () => {
  function tinyModels(): gan.GanModels {
    return { generator: gan.buildGenerator(TINY), discriminator: gan.buildDiscriminator(TINY) };
  }
  function disposeModels(m: gan.GanModels): void {
    m.generator.dispose();
    m.discriminator.dispose();
  }
  const batch = () => realImages.slice([0], [16]);

  test("D's update changes D's weights and leaves G's unchanged", () => {
    const m = tinyModels();
    const x = batch();
    const gBefore = snapshot(m.generator);
    const dBefore = snapshot(m.discriminator);
    // G's optimiser has learning rate 0: any change to G can only come from D's update.
    gan.trainStep(m, { discriminator: tf.train.adam(1e-3), generator: tf.train.sgd(0) }, x, makeRng(1));
    expect(maxChange(dBefore, m.discriminator)).toBeGreaterThan(1e-5);
    expect(maxChange(gBefore, m.generator)).toBe(0);
    x.dispose();
    disposeModels(m);
  });

  test("G's update changes G's weights and leaves D's unchanged", () => {
    const m = tinyModels();
    const x = batch();
    const gBefore = snapshot(m.generator);
    const dBefore = snapshot(m.discriminator);
    gan.trainStep(m, { discriminator: tf.train.sgd(0), generator: tf.train.adam(1e-3) }, x, makeRng(1));
    expect(maxChange(gBefore, m.generator)).toBeGreaterThan(1e-5);
    expect(maxChange(dBefore, m.discriminator)).toBe(0);
    x.dispose();
    disposeModels(m);
  });

  test('returned losses equal the losses recomputed from the same seeded noise', () => {
    const m = tinyModels();
    const x = batch();
    const n = x.shape[0];
    const rng = makeRng(21);
    const dNoise = noiseFrom(rng, n, TINY.latentDim);
    const gNoise = noiseFrom(rng, n, TINY.latentDim);
    const logits = (model: tf.LayersModel, input: tf.Tensor) => Array.from((model.apply(input, { training: true }) as tf.Tensor).dataSync());
    // D's loss: before any update, both models in training mode
    const fakeD = m.generator.apply(dNoise, { training: true }) as tf.Tensor;
    const expectedD = bce(logits(m.discriminator, x), 1) + bce(logits(m.discriminator, fakeD), 0);
    const gWeights = m.generator.getWeights().map((t) => t.clone());
    const losses = gan.trainStep(m, { discriminator: tf.train.adam(1e-2), generator: tf.train.adam(1e-2) }, x, makeRng(21));
    // G's loss: D after its update, G before its update
    const gAfter = m.generator.getWeights().map((t) => t.clone());
    m.generator.setWeights(gWeights);
    const fakeG = m.generator.apply(gNoise, { training: true }) as tf.Tensor;
    const expectedG = bce(logits(m.discriminator, fakeG), 1);
    m.generator.setWeights(gAfter);
    expect(losses.dLoss).toBeCloseTo(expectedD, 4);
    expect(losses.gLoss).toBeCloseTo(expectedG, 4);
    tf.dispose([x, dNoise, gNoise, fakeD, fakeG, ...gWeights, ...gAfter]);
    disposeModels(m);
  });

  test("trainStep gives the losses D's raw logits: a D that rejects every image at logit −20 has D and G losses ≈ 20", () => {
    // D pinned to logit −20 (pinLogit) with learning rates 0: real images cost softplus(20) ≈ 20
    // and fakes softplus(−20) ≈ 2e-9, so dLoss ≈ 20; G's fakes cost softplus(20) ≈ 20. A sigmoid
    // on D's output hands the losses σ(−20) ≈ 0 instead: both losses near ln 2 (≈ 0.69 each).
    // Tolerance 1e-3: float32 softplus(20) is exact to ~2e-6.
    const m = tinyModels();
    pinLogit(m.discriminator, -20);
    const x = batch();
    const losses = gan.trainStep(m, { discriminator: tf.train.sgd(0), generator: tf.train.sgd(0) }, x, makeRng(4));
    expect(Math.abs(losses.dLoss - 20), `dLoss ${losses.dLoss} for D at logit −20 on every image (expected ≈ 20)`).toBeLessThan(1e-3);
    expect(Math.abs(losses.gLoss - 20), `gLoss ${losses.gLoss} for D at logit −20 on every fake (expected ≈ 20)`).toBeLessThan(1e-3);
    x.dispose();
    disposeModels(m);
  });

  test('trainStep leaks no tensors', async () => {
    const m = tinyModels();
    const x = batch();
    const opt = { discriminator: tf.train.adam(1e-3), generator: tf.train.adam(1e-3) };
    const rng = makeRng(5);
    expect(await countLeak(() => gan.trainStep(m, opt, x, rng)), leakDetails()).toBe(0);
    x.dispose();
    disposeModels(m);
  });
});

describe('task 4: epochs and sample grids', () => {
  test('trainEpoch makes one D and one G update per full batch and returns finite mean losses', () => {
    const m = { generator: gan.buildGenerator(TINY), discriminator: gan.buildDiscriminator(TINY) };
    const opt = { discriminator: tf.train.adam(1e-3), generator: tf.train.adam(1e-3) };
    const images = realImages.slice([0], [40]);
    const out = gan.trainEpoch(m, opt, images, { batchSize: 16, rng: makeRng(2) });
    // 40 images in batches of 16: two full batches; the partial one is dropped
    expect(opt.discriminator.iterations).toBe(2);
    expect(opt.generator.iterations).toBe(2);
    expect(Number.isFinite(out.dLoss) && out.dLoss > 0).toBe(true);
    expect(Number.isFinite(out.gLoss) && out.gLoss > 0).toBe(true);
    images.dispose();
    m.generator.dispose();
    m.discriminator.dispose();
  });

  test('trainEpoch accepts batch sizes from 2 to the number of images and rejects others with a CourseError', () => {
    const m = { generator: gan.buildGenerator(TINY), discriminator: gan.buildDiscriminator(TINY) };
    const opt = { discriminator: tf.train.adam(1e-3), generator: tf.train.adam(1e-3) };
    const images = realImages.slice([0], [4]);
    for (const batchSize of [1, 2.5, 5]) {
      expect(() => gan.trainEpoch(m, opt, images, { batchSize, rng: makeRng(1) }), `batchSize ${batchSize} of 4 images`).toThrow(CourseError);
    }
    gan.trainEpoch(m, opt, images, { batchSize: 2, rng: makeRng(1) }); // 2 steps
    gan.trainEpoch(m, opt, images, { batchSize: 4, rng: makeRng(1) }); // 1 step: the whole set
    expect(opt.discriminator.iterations).toBe(3);
    images.dispose();
    m.generator.dispose();
    m.discriminator.dispose();
  });

  test('trainEpoch leaks no tensors', async () => {
    const m = { generator: gan.buildGenerator(TINY), discriminator: gan.buildDiscriminator(TINY) };
    const opt = { discriminator: tf.train.adam(1e-3), generator: tf.train.adam(1e-3) };
    const images = realImages.slice([0], [32]);
    const rng = makeRng(4);
    expect(await countLeak(() => gan.trainEpoch(m, opt, images, { batchSize: 16, rng }), 2), leakDetails()).toBe(0);
    images.dispose();
    m.generator.dispose();
    m.discriminator.dispose();
  });

  test('trainEpoch visits the images in a new rng-shuffled order each epoch, each at most once, in full batches', () => {
    // 20 images, each a distinct constant (test/support/record-inputs.ts); batches of 6 → 3 steps, 2 skipped.
    const { images, values } = constantImages(20);
    const epochOrders = (rngSeed: number, epochs: number): number[][] => {
      const m = { generator: gan.buildGenerator(TINY), discriminator: gan.buildDiscriminator(TINY) };
      const opt = { discriminator: tf.train.sgd(0), generator: tf.train.sgd(0) };
      const seen = recordImageRows(m.discriminator, values);
      const rng = makeRng(rngSeed);
      const orders: number[][] = [];
      for (let e = 0; e < epochs; e++) {
        seen.length = 0;
        gan.trainEpoch(m, opt, images, { batchSize: 6, rng });
        orders.push([...seen]);
      }
      m.generator.dispose();
      m.discriminator.dispose();
      return orders;
    };
    const [first, second] = epochOrders(7, 2);
    for (const order of [first!, second!]) {
      expect(order.length, 'real images D saw in one epoch: 3 full batches of 6').toBe(18);
      expect(new Set(order).size, `an image was used twice in one epoch: ${order.join(',')}`).toBe(18);
    }
    expect(first, 'the epoch order is shuffled, not 0, 1, 2, …').not.toEqual(first!.slice().sort((a, b) => a - b));
    expect(second, 'each epoch draws a new order from the rng').not.toEqual(first);
    expect(epochOrders(7, 1)[0], 'the same rng seed gives the same order').toEqual(first);
    expect(epochOrders(8, 1)[0], 'another rng seed gives another order').not.toEqual(first);
    images.dispose();
  });

  test('trainEpoch returns the mean of its step losses, not their sum', () => {
    // D with all-zero weights outputs logit 0 for every image and learning rates are 0, so every
    // step returns the same losses (whatever the batch and noise): the epoch must return them too.
    const build = () => {
      const m = { generator: gan.buildGenerator(TINY), discriminator: gan.buildDiscriminator(TINY) };
      m.discriminator.setWeights(m.discriminator.getWeights().map((w) => tf.zerosLike(w)));
      return m;
    };
    const opt = () => ({ discriminator: tf.train.sgd(0), generator: tf.train.sgd(0) });
    const images = realImages.slice([0], [24]);
    const one = build();
    const step = gan.trainStep(one, opt(), images.slice([0], [6]), makeRng(3));
    const m = build();
    const epoch = gan.trainEpoch(m, opt(), images, { batchSize: 6, rng: makeRng(3) }); // 4 steps
    expect(epoch.dLoss, `epoch D loss over 4 equal steps of ${step.dLoss}`).toBeCloseTo(step.dLoss, 5);
    expect(epoch.gLoss, `epoch G loss over 4 equal steps of ${step.gLoss}`).toBeCloseTo(step.gLoss, 5);
    for (const x of [one, m]) {
      x.generator.dispose();
      x.discriminator.dispose();
    }
    images.dispose();
  });

  test('samplesForGrid returns (G(z) + 1) / 2 in [0, 1], one image per noise row', () => {
    const g = gan.buildGenerator(TINY);
    const z = noiseFrom(makeRng(8), 6, TINY.latentDim);
    const grid = gan.samplesForGrid(g, z);
    expect(grid.shape).toEqual([6, 28, 28, 1]);
    const expected = tf.tidy(() => tf.div(tf.add(g.predict(z) as tf.Tensor, 1), 2));
    const v = grid.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(tf.max(tf.abs(tf.sub(grid, expected))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([z, grid, expected]);
    g.dispose();
  });

  test('samplesForGrid leaves no tensors behind: only the returned images survive', async () => {
    const g = gan.buildGenerator(TINY);
    const z = noiseFrom(makeRng(10), 4, TINY.latentDim);
    expect(await countLeak(() => gan.samplesForGrid(g, z)), leakDetails()).toBe(0);
    z.dispose();
    g.dispose();
  });

  test('samplesForGrid uses inference mode: a sample does not depend on the rest of the batch', () => {
    const g = gan.buildGenerator(TINY);
    const z = noiseFrom(makeRng(9), 8, TINY.latentDim);
    const all = gan.samplesForGrid(g, z);
    const firstTwo = z.slice([0], [2]);
    const part = gan.samplesForGrid(g, firstTwo);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(all.slice([0], [2]), part))).dataSync()[0]!);
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([z, all, firstTwo, part]);
    g.dispose();
  });
});

describe('task 5: measuring quality', () => {
  let classifier: tf.LayersModel;
  beforeAll(async () => {
    classifier = await loadModel(FID_CLASSIFIER_DIR);
  });
  afterAll(() => classifier.dispose());

  test('extractFeatures returns the classifier penultimate-layer activations', () => {
    const x = realImages.slice([0], [10]);
    const rows = gan.extractFeatures(classifier, x);
    const layers = classifier.layers;
    const sub = tf.model({ inputs: classifier.inputs, outputs: layers[layers.length - 2]!.output as tf.SymbolicTensor });
    const expected = (sub.predict(x) as tf.Tensor).arraySync() as number[][];
    expect(rows.length).toBe(10);
    expect(rows[0]!.length).toBe(expected[0]!.length);
    for (let i = 0; i < 10; i++) for (let j = 0; j < expected[0]!.length; j++) expect(rows[i]![j]).toBeCloseTo(expected[i]![j]!, 4);
    // in batches (of 3: 3 + 3 + 3 + 1 rows): the same rows, in the same order
    const batched = gan.extractFeatures(classifier, x, 3);
    expect(batched.length, 'rows with batchSize 3').toBe(10);
    for (let i = 0; i < 10; i++) for (let j = 0; j < expected[0]!.length; j++) expect(batched[i]![j]).toBeCloseTo(expected[i]![j]!, 4);
    x.dispose();
  });

  test('extractFeatures sends at most batchSize images through the classifier at a time, in inference mode, and leaks no tensors', async () => {
    // Observed on the classifier's first weighted layer (every forward pass goes through it,
    // whatever sub-model the code builds): the size of each concrete batch and its `training` flag.
    const first = classifier.layers.find((l) => l.countParams() > 0)!;
    const calls: { size: number; training: unknown }[] = [];
    const original = first.apply.bind(first);
    (first as unknown as { apply: typeof original }).apply = (inputs, kwargs) => {
      const t = Array.isArray(inputs) ? inputs[0] : inputs;
      if (t instanceof tf.Tensor) calls.push({ size: t.shape[0]!, training: kwargs?.['training'] });
      return original(inputs, kwargs);
    };
    const x = realImages.slice([0], [10]);
    try {
      expect(gan.extractFeatures(classifier, x, 3).length).toBe(10);
      const sizes = calls.map((c) => c.size);
      expect(Math.max(...sizes), `batch sizes through the classifier with batchSize 3: ${sizes.join(', ')}`).toBeLessThanOrEqual(3);
      expect(sizes.length, 'no forward pass through the classifier was seen').toBeGreaterThan(0);
      expect(calls.every((c) => c.training !== true), 'extractFeatures must run the classifier in inference mode').toBe(true);
      expect(await countLeak(() => gan.extractFeatures(classifier, x, 4)), leakDetails()).toBe(0);
    } finally {
      delete (first as unknown as { apply?: unknown }).apply;
      x.dispose();
    }
  });

  test('extractFeatures takes the layer before the last, and a classifier with fewer than 2 layers is a CourseError', () => {
    const x = realImages.slice([0], [3]);
    const twoLayers = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 3 })] });
    const rows = gan.extractFeatures(twoLayers, x);
    expect(rows).toEqual(tf.tidy(() => x.reshape([3, 784]).arraySync()));
    const oneLayer = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] })] });
    expect(() => gan.extractFeatures(oneLayer, x)).toThrow(CourseError);
    twoLayers.dispose();
    oneLayer.dispose();
    x.dispose();
  });

  test('discriminatorAccuracy: real counts logits > 0, fake counts logits < 0', () => {
    // a logit of exactly 0 is neither real (> 0) nor fake (< 0): one in each set
    // (3 of 5 fakes < 0: counting the fakes ≥ 0 instead gives 2/5, so the comparison's direction shows)
    const r = tf.tensor2d([2, -1, 0.5, 3, 0], [5, 1]);
    const f = tf.tensor2d([-2, -0.1, -3, 4, 0], [5, 1]);
    const acc = gan.discriminatorAccuracy(r, f);
    // Tolerance 1e-6: a count over N, which a correct version may take as tf.mean of a 0/1 float32
    // tensor (2/3 → 0.6666667, 3.3e-8 off; the float32 mean of ≤ 2^24 ones/zeros is within a few
    // ulp of 1, ≤ 3e-7). Any wrong count is off by ≥ 1/N = 1/5 here.
    expect(Math.abs(acc.real - 3 / 5), `real accuracy ${acc.real}, expected 3/5`).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(acc.fake - 3 / 5), `fake accuracy ${acc.fake}, expected 3/5`).toBeLessThanOrEqual(1e-6);
    observe('accuracy', { real: acc.real, fake: acc.fake });
    tf.dispose([r, f]);
  });

  /**
   * The small GAN of the tests below, trained once and shared: 3 epochs of 600 training images
   * (batch 16, 111 steps). `realA`/`realB` are 300 + 300 other real images, never trained on.
   */
  interface SmallRun {
    all: tf.Tensor4D;
    realA: tf.Tensor4D;
    realB: tf.Tensor4D;
    trainSet: tf.Tensor4D;
    z: tf.Tensor2D;
    m: gan.GanModels;
    /** G's score before training, or why it could not be measured (e.g. extractFeatures not done yet) */
    before: number | { error: unknown };
  }
  let small: SmallRun | null = null;
  const score = (run: Pick<SmallRun, 'realA'>, x: tf.Tensor4D) =>
    frechetDistance(gan.extractFeatures(classifier, run.realA), gan.extractFeatures(classifier, x));
  const fakeScore = (run: SmallRun) => {
    const fake = tf.tidy(() => run.m.generator.predict(run.z) as tf.Tensor4D);
    const s = score(run, fake);
    fake.dispose();
    return s;
  };
  function smallRun(): SmallRun {
    if (small) return small;
    const pool = loadFashionMnist('train', { limit: 1200, seed: 5 });
    const all = imagesToTensor(pool, [-1, 1]);
    const cfg = { latentDim: 16, width: 8, dropout: 0.3, seed: 1 };
    const run: SmallRun = {
      all,
      realA: all.slice([0], [300]),
      realB: all.slice([300], [300]),
      trainSet: all.slice([600], [600]),
      z: noiseFrom(makeRng(99), 300, cfg.latentDim),
      m: { generator: gan.buildGenerator(cfg), discriminator: gan.buildDiscriminator(cfg) },
      before: 0,
    };
    try {
      try {
        run.before = fakeScore(run);
      } catch (error) {
        run.before = { error }; // only the score test needs it: the generator tests still run
      }
      const opt = { discriminator: tf.train.adam(2e-3, 0.5), generator: tf.train.adam(2e-3, 0.5) };
      const rng = makeRng(7);
      for (let e = 0; e < 3; e++) gan.trainEpoch(run.m, opt, run.trainSet, { batchSize: 16, rng });
    } catch (err) {
      disposeRun(run);
      throw err;
    }
    small = run;
    return run;
  }
  function disposeRun(run: SmallRun): void {
    tf.dispose([run.all, run.realA, run.realB, run.trainSet, run.z]);
    run.m.generator.dispose();
    run.m.discriminator.dispose();
  }
  afterAll(() => {
    if (small) disposeRun(small);
  });

  test('real-vs-real score is near zero; a short training run improves the generator score by a clear margin', () => {
    // Measured on wasm (COURSE_SEED 1234, this config): real-vs-real 7.9, untrained G 418,
    // after 3 epochs of 600 images (batch 16, 111 steps, ~18 s) 121 (−71 %). Thresholds leave
    // wide margins: real-vs-real < 10 % of untrained, trained < 60 % of untrained.
    const run = smallRun();
    if (typeof run.before !== 'number') throw run.before.error;
    const realVsReal = score(run, run.realB);
    const after = fakeScore(run);
    expect(realVsReal).toBeLessThan(0.1 * run.before);
    expect(after).toBeLessThan(0.6 * run.before);
  });

  test("the trained generator's output changes with its noise z", () => {
    // Measured (node backend, generator seeds 1–3): mean |G(z₁) − G(z₂)| per pixel 0.31–0.34 for
    // two independent noise batches (two different real batches: 0.55). 0.05 is 6× below that:
    // only a generator that ignores z (or has collapsed to one image) stays under it.
    const run = smallRun();
    const z2 = noiseFrom(makeRng(100), 300, run.z.shape[1]);
    const diff = tf.tidy(() => tf.mean(tf.abs(tf.sub(run.m.generator.predict(run.z) as tf.Tensor, run.m.generator.predict(z2) as tf.Tensor))).dataSync()[0]!);
    z2.dispose();
    expect(diff, `mean |G(z1) − G(z2)| per pixel for two different noise batches is ${diff.toFixed(4)}`).toBeGreaterThan(0.05);
  });

  test('generated images are not near-copies of training images (nearest-neighbour distance vs held-out real images)', () => {
    // L2 distance (28×28 pixels in [−1, 1]) from each image to its nearest training image.
    // Measured (node, generator seeds 1–3): generated images min 6.4, median 9.4–10.7; held-out
    // real images min 4.9, 10th percentile 7.1, median 9.8 — a real generator is as far from the
    // training set as new real images are. A copy is at 0 (copy + small noise: a few units).
    // "Near-copy" = closer than half the held-out 10th percentile; allow at most 5 % of them.
    const run = smallRun();
    const fake = tf.tidy(() => run.m.generator.predict(run.z) as tf.Tensor4D);
    const genDist = nearestDistances(fake, run.trainSet);
    const heldDist = nearestDistances(run.realB, run.trainSet);
    fake.dispose();
    const threshold = 0.5 * quantile(heldDist, 0.1);
    const copies = genDist.filter((d) => d < threshold).length / genDist.length;
    expect(copies, `${(100 * copies).toFixed(0)} % of generated images lie within ${threshold.toFixed(2)} of a training image (held-out real images: median ${quantile(heldDist, 0.5).toFixed(2)}; generated: median ${quantile(genDist, 0.5).toFixed(2)})`).toBeLessThanOrEqual(0.05);
  });
});
