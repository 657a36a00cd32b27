/**
 * 09-dl-vs-ml — YOUR CODE goes in the TODO blocks below. Each TODO says WHAT the function must
 * compute (formula, shapes, edge cases); HOW is in the hints: `course hint 09-dl-vs-ml`.
 *
 * The traditional side of "when does deep learning beat traditional ML?", written by hand so it
 * can be measured against the deep models: softmax regression with L2 and k-nearest neighbours
 * (task 1), hand-made image features (task 2), a learning-curve protocol that compares models
 * fairly (task 3), and the numbers that interpret the result (task 4).
 *
 * Conventions: examples are rows; class ids are int32. Functions return NEW tensors and never
 * dispose or modify their inputs; no intermediate tensor may be left behind. Bad input is
 * rejected by the given check… calls at the top of each function (CourseError): keep them first.
 */
import * as tf from '@tensorflow/tfjs';
import { NotImplemented } from '../../lib/errors.js';

export * from '../../lib/exercise-support/09-dl-vs-ml.js';
import {
  checkCurves, checkImages, checkK, checkLabels, checkMatrix, checkSizes, checkSoftmaxOptions,
} from '../../lib/exercise-support/09-dl-vs-ml.js';
import type { Classifier, CurveComparison, LabelledSet, LearningCurve, SoftmaxModel, SoftmaxOptions } from '../../lib/exercise-support/09-dl-vs-ml.js';

// ───────────────────────────── Task 1: the traditional baselines ─────────────────────────────

/** The training objective of softmax regression with L2 on the weights. */
export function softmaxRegressionLoss(model: SoftmaxModel, x: tf.Tensor2D, labels: tf.Tensor1D, lambda: number): tf.Scalar {
  checkMatrix('softmaxRegressionLoss', 'x', x);
  checkLabels('softmaxRegressionLoss', labels, x.shape[0]);
  // TODO: a scalar: the mean over the n rows of the cross-entropy of softmax(x·W + b) against
  //   each row's label, plus λ·(sum of the squares of every entry of W). The bias b is NOT
  //   penalised. Shapes: x [n, d], W [d, K], b [K], labels int32 [n].
  //   Check: x = [[1, 0]], label 0, W = [[1, −1], [0, 2]], b = [0.5, −0.5], λ = 0.1 →
  //   ln(1 + e⁻³) + 0.6 = 0.6486.
  throw new NotImplemented('softmaxRegressionLoss');
}

/** Softmax regression trained by full-batch gradient descent. */
export function trainSoftmaxRegression(x: tf.Tensor2D, labels: tf.Tensor1D, opts: SoftmaxOptions): SoftmaxModel {
  checkMatrix('trainSoftmaxRegression', 'x', x);
  checkLabels('trainSoftmaxRegression', labels, x.shape[0]);
  checkSoftmaxOptions('trainSoftmaxRegression', opts);
  // TODO: start from W = 0 [d, K] and b = 0 [K] (K = opts.numClasses) and take opts.steps
  //   steps of plain gradient descent on softmaxRegressionLoss with opts.lambda, each on the
  //   whole set: parameter ← parameter − learningRate · gradient. Derive the gradients by hand
  //   (p = the softmax probabilities, y = the one-hot labels); only W gets the L2 term.
  //   Return the final { W, b }; free every earlier W and b.
  //   Check: with x all zeros and labels [0, 0, 0, 1], softmax(b) tends to [0.75, 0.25] for any λ.
  throw new NotImplemented('trainSoftmaxRegression');
}

/** k-nearest-neighbour classification. */
export function knnPredict(xTrain: tf.Tensor2D, yTrain: tf.Tensor1D, xQuery: tf.Tensor2D, k: number): tf.Tensor1D {
  checkMatrix('knnPredict', 'xTrain', xTrain);
  checkMatrix('knnPredict', 'xQuery', xQuery);
  checkLabels('knnPredict', yTrain, xTrain.shape[0]);
  checkK('knnPredict', k, xTrain.shape[0]);
  // TODO: int32 [nQuery]: for each query row, the majority class among the k training rows
  //   closest in Euclidean distance. All query-to-training distances at once, with tensor ops
  //   (no loop over rows). Ties, as the course states them: equal distances → the lower
  //   training index counts as nearer; equal vote counts → the smallest class id wins.
  //   Check: train [0], [3] with classes [1, 0], query [1], k = 2 → 0 (a 1–1 vote).
  throw new NotImplemented('knnPredict');
}

/** Leave-one-out k-NN: every row of x classified by the other rows. */
export function knnLeaveOneOut(x: tf.Tensor2D, y: tf.Tensor1D, k: number): tf.Tensor1D {
  checkMatrix('knnLeaveOneOut', 'x', x);
  checkLabels('knnLeaveOneOut', y, x.shape[0]);
  checkK('knnLeaveOneOut', k, x.shape[0] - 1);
  // TODO: int32 [n]: row i's k-NN prediction from all rows EXCEPT row i itself (same tie rules
  //   as knnPredict). A duplicate of row i is another row and does vote.
  //   Check: x = [0], [1], [5], [6], [20] with classes [0, 0, 1, 1, 0], k = 1 → [0, 0, 1, 1, 1].
  throw new NotImplemented('knnLeaveOneOut');
}

// ───────────────────────────── Task 2: hand-made image features ─────────────────────────────

/** A per-image histogram of pixel intensities. */
export function intensityHistogram(images: tf.Tensor3D, bins: number): tf.Tensor2D {
  checkImages('intensityHistogram', images, bins);
  // TODO: [n, bins]: for each image [h, w] with pixels in [0, 1], the FRACTION of its pixels in
  //   each of `bins` equal-width bins over [0, 1]; a pixel of exactly 1 belongs to the last bin.
  //   Check: [[0, 0.3], [0.5, 1]] with 4 bins → [0.25, 0.25, 0.25, 0.25].
  throw new NotImplemented('intensityHistogram');
}

/** A per-image histogram of edge orientations (a one-cell HOG). */
export function edgeOrientationHistogram(images: tf.Tensor3D, bins: number): tf.Tensor2D {
  checkImages('edgeOrientationHistogram', images, bins);
  // TODO: [n, bins]. At every pixel (r, c) with r < h − 1 and c < w − 1 take the forward
  //   differences gx = I[r, c+1] − I[r, c] and gy = I[r+1, c] − I[r, c]. Its orientation
  //   θ = atan2(gy, gx) is unsigned (θ and θ + π are the same edge); bin k is centred on k·π/bins,
  //   i.e. bin = floor(bins·θ/π + ½) taken modulo bins. Each pixel adds its gradient magnitude
  //   √(gx² + gy²) to its bin; divide each histogram by its total (an image with no edges → zeros).
  //   Check (4 bins): left half 0, right half 1 → [1, 0, 0, 0]; top 0, bottom 1 → [0, 0, 1, 0].
  throw new NotImplemented('edgeOrientationHistogram');
}

/** z-score features for a train/test pair. */
export function standardizeFeatures(train: tf.Tensor2D, test: tf.Tensor2D): { train: tf.Tensor2D; test: tf.Tensor2D } {
  checkMatrix('standardizeFeatures', 'train', train);
  checkMatrix('standardizeFeatures', 'test', test);
  // TODO: both sets standardised column by column: (value − mean) / std, where mean and the
  //   population std come from the TRAINING rows only (the test set is data the model has not
  //   seen); a column whose std is 0 is divided by 1.
  //   Check: train [[0], [2]], test [[10]] → train [[−1], [1]], test [[9]].
  throw new NotImplemented('standardizeFeatures');
}

// ───────────────────────────── Task 3: the learning-curve protocol ─────────────────────────────

/** The training subsets of a learning curve, as indices into the pool. */
export function nestedStratifiedSubsets(labels: ArrayLike<number>, sizes: number[], seed: number): number[][] {
  checkSizes('nestedStratifiedSubsets', sizes, labels.length);
  // TODO: one array of distinct pool indices per size (sizes are increasing), such that
  //   - nested: every subset contains all the smaller ones (a curve then measures the effect
  //     of ADDING data, not of drawing a different sample);
  //   - stratified: in a subset of size s, each class c appears within 1 of s·(share of c in
  //     the pool);
  //   - seeded: the same (labels, sizes, seed) give the same subsets; another seed, others.
  //   Randomness only from lib/random.ts (makeRng) so it is reproducible.
  throw new NotImplemented('nestedStratifiedSubsets');
}

/** Accuracy of every model at every training-set size. */
export function learningCurve(train: LabelledSet, test: LabelledSet, sizes: number[], models: Record<string, Classifier>, seed: number): LearningCurve {
  // TODO: for each subset of nestedStratifiedSubsets(train.labels, sizes, seed): take those rows
  //   of train.x and their labels (int32 [s]); call EVERY model with them and the whole test.x;
  //   record the fraction of its predictions equal to test.labels. Every model sees the same
  //   rows at a size and the same test set; test labels never reach a model. Return
  //   { sizes, accuracy: { [model name]: one accuracy per size } }. Free what you create
  //   (also each model's predictions), never train.x or test.x.
  throw new NotImplemented('learningCurve');
}

// ───────────────────────────── Task 4: interpretation ─────────────────────────────

/** A linear model's weights per class, as images. */
export function weightImages(W: tf.Tensor2D, height: number, width: number): tf.Tensor3D {
  checkMatrix('weightImages', 'W', W);
  // TODO: [K, height, width] from W [height·width, K]: image k is column k laid out row-major,
  //   scaled to 0.5 + 0.5·w / (the largest |w| of column k), so 0 is mid grey and values stay
  //   in [0, 1]; an all-zero column gives 0.5 everywhere. Throw a CourseError when W's row
  //   count is not height·width.
  //   Check: column [2, −1, 0, 1], 2×2 → [[1, 0.25], [0.5, 0.75]].
  throw new NotImplemented('weightImages');
}

/** Where and by how much the deep model beats the traditional one. */
export function compareCurves(sizes: number[], deep: number[][], traditional: number[][]): CurveComparison {
  checkCurves('compareCurves', sizes, deep, traditional);
  // TODO: deep[s][j] and traditional[s][j] are accuracies for seed s at sizes[j]. The gap is
  //   deep − traditional of the SAME seed and size. Per size: gapMean (mean over seeds) and
  //   gapStd (sample std, divide by seeds − 1; 0 with one seed). overtakeSize: the smallest
  //   size from which gapMean is > 0 at that size and at EVERY larger size; null if none.
  //   Check: gaps [−0.1, 0.05, 0.1] (one seed) at [10, 100, 1000] → overtakeSize 100.
  throw new NotImplemented('compareCurves');
}
