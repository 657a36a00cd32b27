/**
 * Task 3: training diagnostics. Per-layer gradient norms show vanishing gradients (early layers
 * get tiny updates through saturating activations); the dead-unit fraction shows ReLU units that
 * never fire and so never learn.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError, NotImplemented } from '../../lib/errors.js';
import { l2Norm } from '../../lib/metrics/gradients.js';
import { type Batch, type DeadUnits, type LayerGradientNorm, isReluLayer } from '../../lib/exercise-support/02-activations-diagnostics.js';

// The input/result types and the ReLU-layer test are not the lesson: one copy in lib/, re-exported here.
export * from '../../lib/exercise-support/02-activations-diagnostics.js';

/**
 * L2 norm of the loss gradient w.r.t. each layer's kernel, first layer → last. The loss is the
 * mean softmax cross-entropy of the model's output logits against `batch.y`.
 *
 * TODO:
 *  1. Collect the layers that own a kernel, in model.layers order (input side first). A layer's
 *     weights are layer.trainableWeights (LayerVariable); the kernel's originalName ends with
 *     '/kernel' (the bias ends with '/bias'); .read() gives the underlying tf.Variable.
 *     Layers without weights (e.g. LeakyReLU) are skipped. No kernel at all → CourseError.
 *  2. Inside tf.tidy, tf.variableGrads(() => tf.losses.softmaxCrossEntropy(batch.y,
 *     model.apply(batch.x) as tf.Tensor) as tf.Scalar, kernels) returns { value, grads } where
 *     grads is keyed by each variable's .name.
 *  3. Return [{ layer: layer.name, norm: l2Norm(grad) }, …], first layer first.
 *     l2Norm (lib/metrics/gradients.ts) returns a plain number.
 */
export function gradientNormsByLayer(model: tf.LayersModel, batch: Batch): LayerGradientNorm[] {
  throw new NotImplemented('gradientNormsByLayer');
}

/**
 * Fraction of ReLU units whose output is 0 for EVERY example of `x` (they get no gradient at all).
 *
 * TODO:
 *  1. Inside tf.tidy, run x through the layers one by one: h = layer.apply(h) as tf.Tensor.
 *  2. After each ReLU layer (isReluLayer), h is [n, units]. A unit is alive if it is > 0 for at
 *     least one example: tf.greater(tf.max(h, 0), 0). Count the dead ones (read the count with
 *     .dataSync()) and push { layer: layer.name, units, dead, fraction: dead / units }.
 *  3. overall = all dead units / all ReLU units. No ReLU layer at all → CourseError.
 *  Careful: "never active" is not "inactive on average" and not "inactive on some example".
 */
export function deadUnitFraction(model: tf.LayersModel, x: tf.Tensor): DeadUnits {
  throw new NotImplemented('deadUnitFraction');
}
