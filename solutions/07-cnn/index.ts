/**
 * 07-cnn — the reference solution.
 *
 * A convolutional network from the inside: convolution and pooling written with plain tensor
 * ops (no convolution or pooling kernel), the max-pool gradient by hand, parameter counts and
 * receptive fields, a small CNN that beats a bigger MLP on Fashion-MNIST, and what the trained
 * CNN sees (filters, feature maps) and how it copes with shifted images.
 *
 * Conventions: images are NHWC, x [n, h, w, c]; kernels are [k, k, cin, cout]; 'same' padding
 * follows TensorFlow (output ⌈n / stride⌉, the odd pixel of padding goes after: bottom/right).
 * Functions return NEW tensors and never dispose or modify their inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../../lib/errors.js';

// The shared types and input checks (not the lesson) live in lib/; re-exported so this module's exports stay the same.
export * from '../../lib/exercise-support/07-cnn.js';
import { checkCnnSpec, checkConvArgs, checkImages, checkLayers, checkSize, convDefaults } from '../../lib/exercise-support/07-cnn.js';
import type { CnnSpec, ConvOptions, LayerSpec, Padding, ParamCount, PoolOptions } from '../../lib/exercise-support/07-cnn.js';

// ───────────────────────────── Task 1: convolution by hand ─────────────────────────────

/** Output side for input side n, kernel k: 'valid' ⌊(n − k)/s⌋ + 1, 'same' ⌈n/s⌉. */
export function convOutputSize(n: number, k: number, stride: number, padding: Padding): number {
  checkSize('convOutputSize', 'n', n);
  checkSize('convOutputSize', 'k', k);
  convDefaults('convOutputSize', { stride, padding });
  if (padding === 'same') return Math.ceil(n / stride);
  if (k > n) {
    throw new CourseError(`convOutputSize: a ${k}×${k} kernel does not fit a ${n}-pixel input without padding`, "use a kernel no larger than the input, or padding: 'same'");
  }
  return Math.floor((n - k) / stride) + 1;
}

/** 'same' padding along one axis as [before, after]: the total the windows need, the odd one after. */
export function samePadding(n: number, k: number, stride: number): [number, number] {
  const out = convOutputSize(n, k, stride, 'same');
  const total = Math.max((out - 1) * stride + k - n, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** [[top, bottom], [left, right]] for an h×w input and a k×k window */
function paddings(h: number, w: number, k: number, stride: number, padding: Padding): [[number, number], [number, number]] {
  return padding === 'same' ? [samePadding(h, k, stride), samePadding(w, k, stride)] : [[0, 0], [0, 0]];
}

/**
 * The window element (i, j) of every output position: xp[:, i + s·r, j + s·c, :] for all output
 * rows r and columns c, one strided slice of the padded input, [n, oh, ow, c].
 */
function windowSlice(xp: tf.Tensor4D, i: number, j: number, oh: number, ow: number, stride: number): tf.Tensor4D {
  const [n, , , c] = xp.shape;
  return tf.stridedSlice(xp, [0, i, j, 0], [n, i + (oh - 1) * stride + 1, j + (ow - 1) * stride + 1, c], [1, stride, stride, 1]) as tf.Tensor4D;
}

/**
 * Cross-correlation (what deep learning calls convolution): out[b, r, c, o] =
 * Σ_{i,j,ci} xpad[b, r·s + i, c·s + j, ci] · kernel[i, j, ci, o]. Written as k² matrix products,
 * one per kernel position: each multiplies the pixels under that position by its [cin, cout] slice.
 */
export function conv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, opts: ConvOptions = {}): tf.Tensor4D {
  checkConvArgs('conv2d', x, kernel);
  const { stride, padding } = convDefaults('conv2d', opts);
  const [n, h, w, cin] = x.shape;
  const [k, , , cout] = kernel.shape;
  const oh = convOutputSize(h, k, stride, padding);
  const ow = convOutputSize(w, k, stride, padding);
  const [rows, cols] = paddings(h, w, k, stride, padding);
  return tf.tidy(() => {
    const xp = tf.pad(x, [[0, 0], rows, cols, [0, 0]]);
    const terms: tf.Tensor[] = [];
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const pixels = tf.reshape(windowSlice(xp, i, j, oh, ow, stride), [n * oh * ow, cin]);
        terms.push(tf.matMul(pixels, tf.reshape(tf.slice(kernel, [i, j, 0, 0], [1, 1, cin, cout]), [cin, cout])));
      }
    }
    return tf.reshape(tf.addN(terms), [n, oh, ow, cout]) as tf.Tensor4D;
  });
}

// ───────────────────────────── Task 2: pooling and its gradient ─────────────────────────────

function poolGeometry(fn: string, x: tf.Tensor, opts: PoolOptions) {
  checkImages(fn, x);
  checkSize(fn, 'size', opts.size);
  const { stride, padding } = convDefaults(fn, { stride: opts.stride ?? opts.size, padding: opts.padding });
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const k = opts.size;
  const oh = convOutputSize(h, k, stride, padding);
  const ow = convOutputSize(w, k, stride, padding);
  return { n, h, w, c, k, stride, oh, ow, pads: paddings(h, w, k, stride, padding) };
}

/** Max over each size×size window; padding cells never win (they are −∞). */
export function maxPool2d(x: tf.Tensor4D, opts: PoolOptions): tf.Tensor4D {
  const g = poolGeometry('maxPool2d', x, opts);
  return tf.tidy(() => {
    const xp = tf.pad(x, [[0, 0], g.pads[0], g.pads[1], [0, 0]], -Infinity);
    let out: tf.Tensor4D | null = null;
    for (let i = 0; i < g.k; i++) {
      for (let j = 0; j < g.k; j++) {
        const s = windowSlice(xp, i, j, g.oh, g.ow, g.stride);
        out = out ? (tf.maximum(out, s) as tf.Tensor4D) : s;
      }
    }
    return out!;
  });
}

/** Mean over each window's real pixels: padding cells count neither in the sum nor in the divisor. */
export function avgPool2d(x: tf.Tensor4D, opts: PoolOptions): tf.Tensor4D {
  const g = poolGeometry('avgPool2d', x, opts);
  return tf.tidy(() => {
    const pad = [[0, 0], g.pads[0], g.pads[1], [0, 0]] as [number, number][];
    const xp = tf.pad(x, pad);
    const ones = tf.pad(tf.ones([1, g.h, g.w, 1]), pad) as tf.Tensor4D;
    const sums: tf.Tensor[] = [];
    const counts: tf.Tensor[] = [];
    for (let i = 0; i < g.k; i++) {
      for (let j = 0; j < g.k; j++) {
        sums.push(windowSlice(xp, i, j, g.oh, g.ow, g.stride));
        counts.push(windowSlice(ones, i, j, g.oh, g.ow, g.stride));
      }
    }
    return tf.div(tf.addN(sums), tf.addN(counts)) as tf.Tensor4D;
  });
}

/**
 * dL/dx of maxPool2d given dy = dL/d(output): each window's dy goes whole to the position of its
 * maximum, nowhere else; a pixel that wins several (overlapping) windows collects all their dy.
 * Ties: the first maximum in row-major order within the window wins (what tf.grad(tf.maxPool)
 * does on the cpu backend; tf.argMax also returns the first maximum).
 */
export function maxPoolBackward(x: tf.Tensor4D, dy: tf.Tensor4D, opts: PoolOptions): tf.Tensor4D {
  const g = poolGeometry('maxPoolBackward', x, opts);
  const want = [g.n, g.oh, g.ow, g.c];
  if (dy.rank !== 4 || dy.shape.some((d, i) => d !== want[i])) {
    throw new CourseError(`maxPoolBackward: dy has shape [${dy.shape.join(',')}], expected the pooled output's [${want.join(',')}]`, 'pass the gradient of the loss with respect to maxPool2d(x, opts)');
  }
  const [hp, wp] = [g.h + g.pads[0][0] + g.pads[0][1], g.w + g.pads[1][0] + g.pads[1][1]];
  return tf.tidy(() => {
    const xp = tf.pad(x, [[0, 0], g.pads[0], g.pads[1], [0, 0]], -Infinity);
    const windows: tf.Tensor4D[] = [];
    for (let i = 0; i < g.k; i++) for (let j = 0; j < g.k; j++) windows.push(windowSlice(xp, i, j, g.oh, g.ow, g.stride));
    const winner = tf.argMax(tf.stack(windows, 3), 3); // [n, oh, ow, c]: which window element is the max
    const spanH = (g.oh - 1) * g.stride + 1;
    const spanW = (g.ow - 1) * g.stride + 1;
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < g.k; i++) {
      for (let j = 0; j < g.k; j++) {
        const share = tf.mul(dy, tf.cast(tf.equal(winner, i * g.k + j), 'float32')); // [n, oh, ow, c]
        // back to padded-input coordinates: output (r, c) sits at (i + s·r, j + s·c)
        const spread = tf.slice(
          tf.reshape(tf.pad(tf.reshape(share, [g.n, g.oh, 1, g.ow, 1, g.c]), [[0, 0], [0, 0], [0, g.stride - 1], [0, 0], [0, g.stride - 1], [0, 0]]), [g.n, g.oh * g.stride, g.ow * g.stride, g.c]),
          [0, 0, 0, 0],
          [g.n, spanH, spanW, g.c],
        );
        parts.push(tf.pad(spread, [[0, 0], [i, hp - i - spanH], [j, wp - j - spanW], [0, 0]]));
      }
    }
    return tf.slice(tf.addN(parts), [0, g.pads[0][0], g.pads[1][0], 0], [g.n, g.h, g.w, g.c]) as tf.Tensor4D;
  });
}

// ───────────────────────────── Task 3: parameter sharing in numbers ─────────────────────────────

/** One k×k×cin filter (plus one bias) per output channel, shared by every position: (k·k·cin + 1)·cout. */
export function convParams(k: number, cin: number, cout: number): number {
  checkSize('convParams', 'k', k);
  checkSize('convParams', 'cin', cin);
  checkSize('convParams', 'cout', cout);
  return (k * k * cin + 1) * cout;
}

/** Walks the layers from an [h, w, c] input: parameters and output shape of each. */
export function countParams(input: [number, number, number], layers: LayerSpec[]): ParamCount {
  checkLayers('countParams', layers);
  let shape: number[] = [...input];
  const perLayer: number[] = [];
  const shapes: number[][] = [];
  for (const [idx, layer] of layers.entries()) {
    if (layer.type === 'dense') {
      if (shape.length !== 1) throw new CourseError(`countParams: dense layer ${idx} gets an image [${shape.join(',')}]`, "put a { type: 'flatten' } layer before the first dense layer");
      perLayer.push((shape[0]! + 1) * layer.units);
      shape = [layer.units];
    } else if (layer.type === 'flatten') {
      perLayer.push(0);
      shape = [shape.reduce((a, b) => a * b, 1)];
    } else {
      if (shape.length !== 3) throw new CourseError(`countParams: ${layer.type} layer ${idx} gets a flat vector`, 'conv and pool layers come before flatten');
      const [h, w, c] = shape as [number, number, number];
      const k = layer.type === 'conv' ? layer.kernel : layer.size;
      const stride = layer.stride ?? (layer.type === 'conv' ? 1 : layer.size);
      const padding = layer.padding ?? 'valid';
      const out = layer.type === 'conv' ? layer.filters : c;
      perLayer.push(layer.type === 'conv' ? convParams(k, c, out) : 0);
      shape = [convOutputSize(h, k, stride, padding), convOutputSize(w, k, stride, padding), out];
    }
    shapes.push(shape);
  }
  return { perLayer, total: perLayer.reduce((a, b) => a + b, 0), shapes };
}

/**
 * The side of the input patch one output pixel of the stack depends on. Each layer widens it by
 * (k − 1) × (the product of the strides before it): r ← r + (k − 1)·j, then j ← j·s.
 */
export function receptiveField(layers: LayerSpec[]): number {
  checkLayers('receptiveField', layers);
  let r = 1;
  let jump = 1;
  for (const layer of layers) {
    if (layer.type !== 'conv' && layer.type !== 'pool') {
      throw new CourseError(`receptiveField: a ${layer.type} layer sees the whole input`, 'pass only the conv and pool layers');
    }
    const k = layer.type === 'conv' ? layer.kernel : layer.size;
    r += (k - 1) * jump;
    jump *= layer.stride ?? (layer.type === 'conv' ? 1 : layer.size);
  }
  return r;
}

// ───────────────────────────── Task 4: a small CNN ─────────────────────────────

/**
 * [784] → reshape [28, 28, 1] → conv(filters[0], k, same, relu) → maxPool 2 → conv(filters[1], k,
 * same, relu) → maxPool 2 → flatten → dense(numClasses) logits. He-normal kernels seeded seed + i.
 */
export function buildCnn(spec: CnnSpec): tf.Sequential {
  checkCnnSpec('buildCnn', spec);
  const init = (i: number) => tf.initializers.heNormal({ seed: spec.seed + i });
  const model = tf.sequential();
  model.add(tf.layers.reshape({ targetShape: [28, 28, 1], inputShape: [784], name: 'image' }));
  spec.filters.forEach((filters, i) => {
    model.add(tf.layers.conv2d({ filters, kernelSize: spec.kernel, padding: 'same', activation: 'relu', kernelInitializer: init(i), name: `conv${i + 1}` }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2, name: `pool${i + 1}` }));
  });
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ units: spec.numClasses ?? 10, kernelInitializer: init(2), name: 'logits' }));
  return model;
}

// ───────────────────────────── Task 5: what it sees, and what shifting does ─────────────────────────────

/** Moves every image dy pixels down and dx right (negative: up / left); what leaves is lost, what enters is 0. */
export function shiftImages(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  checkImages('shiftImages', x);
  if (!Number.isInteger(dy) || !Number.isInteger(dx)) {
    throw new CourseError(`shiftImages: shifts must be whole pixels, got dy ${dy}, dx ${dx}`, 'round the shift to an integer');
  }
  const [n, h, w, c] = x.shape;
  return tf.tidy(() => {
    const padded = tf.pad(x, [[0, 0], [Math.max(dy, 0), Math.max(-dy, 0)], [Math.max(dx, 0), Math.max(-dx, 0)], [0, 0]]);
    return tf.slice(padded, [0, Math.max(-dy, 0), Math.max(-dx, 0), 0], [n, h, w, c]) as tf.Tensor4D;
  });
}

/**
 * Accuracy of `model` (flat [n, 784] input, logits out) on x shifted by each s in `shifts`: for
 * s = 0 the plain accuracy, otherwise the mean over the four shifts by s (down, up, right, left).
 */
export function accuracyUnderShift(model: tf.LayersModel, x: tf.Tensor2D, labels: Int32Array, shifts: number[]): number[] {
  if (x.rank !== 2 || x.shape[1] !== 784 || labels.length !== x.shape[0]) {
    throw new CourseError(`accuracyUnderShift: x [${x.shape.join(',')}] with ${labels.length} labels`, 'pass flat images [n, 784] and one label per image');
  }
  const n = x.shape[0];
  const accuracy = (dy: number, dx: number) =>
    tf.tidy(() => {
      const moved = tf.reshape(shiftImages(tf.reshape(x, [n, 28, 28, 1]) as tf.Tensor4D, dy, dx), [n, 784]);
      const predicted = tf.argMax(model.predict(moved, { batchSize: 256 }) as tf.Tensor, 1);
      return tf.mean(tf.cast(tf.equal(predicted, tf.tensor1d(labels, 'int32')), 'float32')).dataSync()[0]!;
    });
  return shifts.map((s) => (s === 0 ? accuracy(0, 0) : (accuracy(s, 0) + accuracy(-s, 0) + accuracy(0, s) + accuracy(0, -s)) / 4));
}

/** The output of every conv and pooling layer for one image [1, 784], in order, with the layer's name. */
export function featureMaps(model: tf.LayersModel, image: tf.Tensor2D): { layer: string; maps: tf.Tensor4D }[] {
  if (image.rank !== 2 || image.shape[0] !== 1) {
    throw new CourseError(`featureMaps: image has shape [${image.shape.join(',')}], expected one flat image [1, 784]`, 'slice one row: x.slice([i, 0], [1, 784])');
  }
  const out: { layer: string; maps: tf.Tensor4D }[] = [];
  tf.tidy(() => {
    let h: tf.Tensor = image;
    for (const layer of model.layers) {
      h = layer.apply(h) as tf.Tensor;
      if (['Conv2D', 'MaxPooling2D'].includes(layer.getClassName())) out.push({ layer: layer.name, maps: tf.keep(h.clone() as tf.Tensor4D) });
    }
  });
  return out;
}

/** The first conv layer's filters as [filters, k, k, 1] images, each min-max scaled to [0, 1] (a flat filter → 0.5). */
export function filterImages(model: tf.LayersModel): tf.Tensor4D {
  const conv = model.layers.find((l) => l.getClassName() === 'Conv2D');
  if (!conv) throw new CourseError('filterImages: the model has no Conv2D layer', 'pass the CNN from buildCnn');
  return tf.tidy(() => {
    const kernel = conv.getWeights()[0]!; // [k, k, cin, f]
    const [k, , , f] = kernel.shape as [number, number, number, number];
    const filters = tf.transpose(tf.slice(kernel, [0, 0, 0, 0], [k, k, 1, f]), [3, 0, 1, 2]); // [f, k, k, 1], input channel 0
    const lo = tf.min(filters, [1, 2, 3], true);
    const range = tf.sub(tf.max(filters, [1, 2, 3], true), lo);
    const scaled = tf.div(tf.sub(filters, lo), tf.maximum(range, 1e-12)); // a flat filter gives 0 here…
    return tf.add(scaled, tf.mul(tf.cast(tf.equal(range, 0), 'float32'), 0.5)) as tf.Tensor4D; // …and 0.5 in the end
  });
}
