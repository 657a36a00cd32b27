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
 * L2 norm of the loss gradient w.r.t. each layer's kernel, first layer → last.
 *
 * TODO: the loss is the mean softmax cross-entropy of the model's output (logits) against
 * batch.y, over the batch. Contract:
 *  - one entry per layer that has a kernel (its weight matrix, whose variable name ends in
 *    '/kernel'), in model.layers order (input side first — not the order backprop visits them);
 *    layers without weights (e.g. LeakyReLU) have no entry; biases are not included;
 *  - norm = √(Σ of the squared entries of ∂loss/∂kernel) as a number (the given l2Norm);
 *  - the model's weights are unchanged and no tensors are left behind;
 *  - a model with no kernel at all → CourseError.
 */
export function gradientNormsByLayer(model: tf.LayersModel, batch: Batch): LayerGradientNorm[] {
  throw new NotImplemented('gradientNormsByLayer');
}

/**
 * Fraction of ReLU units whose output is 0 for EVERY example of `x` (they get no gradient at all).
 *
 * TODO: pass `x` through the model layer by layer; for each ReLU layer (the given isReluLayer),
 * a unit is DEAD when its output is 0 on every example of x, alive when it is > 0 on at least
 * one. "Never active" — not "inactive on average", not "inactive on some example" (that is
 * normal ReLU sparsity). Returns perLayer (first → last: name, units, dead, fraction = dead /
 * units) and overall = all dead units / all ReLU units. No tensors left behind.
 * A model without a ReLU layer → CourseError.
 */
export function deadUnitFraction(model: tf.LayersModel, x: tf.Tensor): DeadUnits {
  throw new NotImplemented('deadUnitFraction');
}
