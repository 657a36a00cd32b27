/**
 * 07-cnn — YOUR CODE goes in the TODO blocks below. Each TODO says WHAT the function must
 * compute (formula, shapes, edge cases); HOW is in the hints: `course hint 07-cnn`.
 *
 * A convolutional network from the inside: convolution and pooling written with plain tensor
 * ops (no convolution or pooling kernel), the max-pool gradient by hand, parameter counts and
 * receptive fields, a small CNN that beats a bigger MLP on Fashion-MNIST, and what the trained
 * CNN sees (filters, feature maps) and how it copes with shifted images.
 *
 * Conventions: images are NHWC, x [n, h, w, c]; kernels are [k, k, cin, cout]; 'same' padding
 * follows TensorFlow (output ⌈n / stride⌉, the odd pixel of padding goes after: bottom/right).
 * Functions return NEW tensors and never dispose or modify their inputs; no function leaves
 * intermediate tensors behind. Bad input is rejected by the given check… calls at the top of
 * each function (CourseError): keep them first.
 */
import * as tf from '@tensorflow/tfjs';
import { NotImplemented } from '../../lib/errors.js';

// The shared types and input checks (not the lesson) live in lib/; re-exported so this module's exports stay the same.
export * from '../../lib/exercise-support/07-cnn.js';
import { checkCnnSpec, checkConvArgs, checkImages, checkLayers, checkSize, convDefaults } from '../../lib/exercise-support/07-cnn.js';
import type { CnnSpec, ConvOptions, LayerSpec, Padding, ParamCount, PoolOptions } from '../../lib/exercise-support/07-cnn.js';

// ───────────────────────────── Task 1: convolution by hand ─────────────────────────────

/** Output side for an input side n and a k-wide window moved `stride` pixels at a time. */
export function convOutputSize(n: number, k: number, stride: number, padding: Padding): number {
  checkSize('convOutputSize', 'n', n);
  checkSize('convOutputSize', 'k', k);
  convDefaults('convOutputSize', { stride, padding });
  // TODO: the course formula ⌊(n + 2p − k)/s⌋ + 1, in the two cases this course uses:
  //   - 'valid' (p = 0): how many window positions fit inside the input;
  //   - 'same': as many positions as ⌈n / stride⌉ (padding is added until that many fit).
  //   A window larger than an unpadded input ('valid', k > n) fits nowhere: throw a CourseError
  //   (lib/errors) whose message gives k and n and whose fix says what to change.
  //   Check: n 28, k 5, stride 2, 'valid' → 12; n 7, k 3, stride 2, 'same' → 4.
  throw new NotImplemented('convOutputSize');
}

/** The 'same' padding along one axis, as [before, after] (top/bottom or left/right). */
export function samePadding(n: number, k: number, stride: number): [number, number] {
  // TODO: the total padding is what the ⌈n / stride⌉ window positions need beyond the n pixels
  //   (never negative). It is split as evenly as possible; when it is odd, the extra pixel goes
  //   AFTER (bottom/right), as in TensorFlow. Check: n 8, k 3, stride 2 → [0, 1]; n 7, k 3,
  //   stride 2 → [1, 1]; n 9, k 4, stride 2 → [1, 2].
  throw new NotImplemented('samePadding');
}

/**
 * Deep learning's convolution (a cross-correlation, no kernel flip):
 *   out[b, r, c, o] = Σ_{i, j, ci} xpad[b, r·s + i, c·s + j, ci] · kernel[i, j, ci, o]
 * with xpad = x padded with zeros (samePadding on each axis for 'same', nothing for 'valid').
 */
export function conv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, opts: ConvOptions = {}): tf.Tensor4D {
  checkConvArgs('conv2d', x, kernel);
  const { stride, padding } = convDefaults('conv2d', opts);
  // TODO: the formula above for every output position, from tensor ops: the result has shape
  //   [n, convOutputSize(h, k, stride, padding), convOutputSize(w, …), cout] and matches
  //   tf.conv2d(x, kernel, stride, padding) to float32 rounding. Using any convolution or
  //   pooling op (tf.conv2d, tf.depthwiseConv2d, tf.layers, tf.maxPool, …) is refused by the
  //   tests. A kernel larger than the unpadded input with 'valid' padding is a CourseError.
  throw new NotImplemented('conv2d');
}

// ───────────────────────────── Task 2: pooling and its gradient ─────────────────────────────

/** The maximum of each size×size window; the stride defaults to the window size. */
export function maxPool2d(x: tf.Tensor4D, opts: PoolOptions): tf.Tensor4D {
  checkImages('maxPool2d', x);
  checkSize('maxPool2d', 'size', opts.size);
  // TODO: windows placed exactly as in conv2d (stride = opts.stride ?? opts.size, same output
  //   sizes and 'same' padding split), one maximum per window and channel (channels are pooled
  //   separately: the output keeps c). Padding cells must never be the maximum, even when every
  //   real value is negative. Matches tf.maxPool(x, size, stride, padding); no pooling or
  //   convolution op may be used.
  throw new NotImplemented('maxPool2d');
}

/** The mean of each size×size window; the stride defaults to the window size. */
export function avgPool2d(x: tf.Tensor4D, opts: PoolOptions): tf.Tensor4D {
  checkImages('avgPool2d', x);
  checkSize('avgPool2d', 'size', opts.size);
  // TODO: the same windows as maxPool2d, the mean of each window's REAL pixels: with 'same'
  //   padding a window that hangs over the edge is divided by the number of input pixels it
  //   covers, not by size² (as tf.avgPool does). Check: [[1, 2], [3, 4]] with size 2 → 2.5.
  throw new NotImplemented('avgPool2d');
}

/**
 * dL/dx of maxPool2d(x, opts), given dy = dL/d(output) of the pooled output's shape.
 * Each window passes its dy to the cell that won its maximum and to no other cell.
 */
export function maxPoolBackward(x: tf.Tensor4D, dy: tf.Tensor4D, opts: PoolOptions): tf.Tensor4D {
  checkImages('maxPoolBackward', x);
  checkSize('maxPoolBackward', 'size', opts.size);
  // TODO: a tensor of x's shape, written by hand (no tf.grad & co., no pooling op):
  //   - for each window (and channel), the whole of that window's dy is added at the position of
  //     its maximum; every other cell of the window gets nothing from it;
  //   - overlapping windows (stride < size) can pick the same cell: it receives the SUM of their dy;
  //   - ties: when several cells share the maximum, exactly ONE of them gets the whole dy (this
  //     course takes the first in row-major order within the window, as tf.grad(tf.maxPool) does
  //     on the cpu backend); never split or spread dy;
  //   - padding cells get nothing; a dy whose shape is not the pooled output's [n, oh, ow, c] is
  //     a CourseError.
  //   Check: x [[1, 3], [2, 0]], size 2, dy [[5]] → [[0, 5], [0, 0]].
  throw new NotImplemented('maxPoolBackward');
}

// ───────────────────────────── Task 3: parameter sharing in numbers ─────────────────────────────

/** Trainable parameters of a conv layer with cout filters of size k×k over cin channels. */
export function convParams(k: number, cin: number, cout: number): number {
  checkSize('convParams', 'k', k);
  checkSize('convParams', 'cin', cin);
  checkSize('convParams', 'cout', cout);
  // TODO: (k·k·cin + 1)·cout — one filter and one bias per output channel, the same weights at
  //   every position of the image. Check: k 3, cin 8, cout 16 → 1168.
  throw new NotImplemented('convParams');
}

/** Parameters and output shape of every layer of a stack, from an [h, w, c] input. */
export function countParams(input: [number, number, number], layers: LayerSpec[]): ParamCount {
  checkLayers('countParams', layers);
  // TODO: walk the layers in order, tracking the shape ([h, w, c] for images, [units] once flat):
  //   - conv: (k·k·c + 1)·filters parameters; output [h', w', filters] with convOutputSize
  //     (stride default 1, padding default 'valid');
  //   - pool: 0 parameters; output [h', w', c] (stride default = size, padding default 'valid');
  //   - flatten: 0 parameters; output [h·w·c];
  //   - dense: (inputs + 1)·units; output [units]. A dense layer that gets an image, or a conv/pool
  //     layer that gets a flat vector, is a CourseError.
  //   Return { perLayer, total, shapes } (shapes[i] is the shape AFTER layer i). Must agree with
  //   tfjs's countParams() and outputShape of the same layers.
  throw new NotImplemented('countParams');
}

/** The side, in input pixels, of the patch that one output pixel of a conv/pool stack depends on. */
export function receptiveField(layers: LayerSpec[]): number {
  checkLayers('receptiveField', layers);
  // TODO: a single pixel sees 1×1. A k-wide layer widens the field by k − 1 of ITS input's pixels,
  //   and one step in a layer's input is as many input-image pixels as the product of the strides
  //   of all layers before it (pool stride defaults to its size, conv stride to 1). Padding does
  //   not change the field. Flatten or dense layers see everything: CourseError.
  //   Check: conv 3 → conv 3 → 5; conv 3 → pool 2 → conv 3 → pool 2 → 10.
  throw new NotImplemented('receptiveField');
}

// ───────────────────────────── Task 4: a small CNN ─────────────────────────────

/**
 * A small CNN for flat Fashion-MNIST images [n, 784]:
 * reshape [28, 28, 1] → conv(filters[0]) → 2×2 max pool → conv(filters[1]) → 2×2 max pool →
 * flatten → a dense layer of numClasses ?? 10 units giving raw logits (no softmax).
 */
export function buildCnn(spec: CnnSpec): tf.Sequential {
  checkCnnSpec('buildCnn', spec);
  // TODO: return a tf.Sequential (built with tf.layers) with exactly that order of layers:
  //   - input shape [784], reshaped to [28, 28, 1] by the first layer;
  //   - both conv layers spec.kernel × spec.kernel, 'same' padding, ReLU;
  //   - max pooling 2×2, stride 2 (28 → 14 → 7);
  //   - every kernel initialiser seeded from spec.seed (layer i with spec.seed + i), so the same
  //     spec always gives the same weights and another seed other weights.
  //   With filters [8, 16] and kernel 3 it has 80 + 1168 + 7850 = 9,098 parameters.
  throw new NotImplemented('buildCnn');
}

// ───────────────────────────── Task 5: what it sees, and what shifting does ─────────────────────────────

/** Every image moved dy pixels down and dx pixels right (negative: up / left). */
export function shiftImages(x: tf.Tensor4D, dy: number, dx: number): tf.Tensor4D {
  checkImages('shiftImages', x);
  // TODO: same shape as x; out[b, r, c, ch] = x[b, r − dy, c − dx, ch] where that pixel exists,
  //   0 where it does not (no wrap-around: what leaves the image is gone). Shifts larger than the
  //   image give zeros; shifts that are not whole numbers are a CourseError.
  //   Check on [[1, 2], [3, 4]]: dy 1, dx 0 → [[0, 0], [1, 2]].
  throw new NotImplemented('shiftImages');
}

/**
 * Test accuracy of `model` (flat [n, 784] input, logits out) when the images are shifted:
 * one number per entry of `shifts`.
 */
export function accuracyUnderShift(model: tf.LayersModel, x: tf.Tensor2D, labels: Int32Array, shifts: number[]): number[] {
  // TODO: for s = 0, the fraction of images whose arg-max logit is their label; for s > 0, the
  //   mean of the four accuracies after shifting every image by s pixels down, up, right and
  //   left (with shiftImages, zeros entering). Fractions in [0, 1], in the order of `shifts`.
  //   x [n, 784] with one label per row, anything else a CourseError; no tensors left behind.
  throw new NotImplemented('accuracyUnderShift');
}

/** What each conv and pooling layer of `model` outputs for one flat image [1, 784]. */
export function featureMaps(model: tf.LayersModel, image: tf.Tensor2D): { layer: string; maps: tf.Tensor4D }[] {
  // TODO: run the image through the model's layers in order and return, for every Conv2D and
  //   MaxPooling2D layer, { layer: its name, maps: its output [1, h, w, channels] } (tensors the
  //   caller disposes; nothing else left behind). For buildCnn([8, 16]): [1,28,28,8],
  //   [1,14,14,8], [1,14,14,16], [1,7,7,16]. An image that is not [1, 784]: CourseError.
  throw new NotImplemented('featureMaps');
}

/** The first conv layer's filters as small greyscale images. */
export function filterImages(model: tf.LayersModel): tf.Tensor4D {
  // TODO: from the first Conv2D layer's kernel [k, k, cin, filters], input channel 0, return
  //   [filters, k, k, 1] with EACH filter scaled on its own to [0, 1]: (w − min) / (max − min)
  //   of that filter (a constant filter becomes all 0.5). A model without a Conv2D layer is a
  //   CourseError.
  throw new NotImplemented('filterImages');
}
