/**
 * Task 3: training diagnostics. Per-layer gradient norms show vanishing gradients (early layers
 * get tiny updates through saturating activations); the dead-unit fraction shows ReLU units that
 * never fire and so never learn.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../../lib/errors.js';
import { l2Norm } from '../../lib/metrics/gradients.js';
import { type Batch, type DeadUnits, type LayerGradientNorm, isReluLayer } from '../../lib/exercise-support/02-activations-diagnostics.js';

// The input/result types and the ReLU-layer test are not the lesson: one copy in lib/, re-exported here.
export * from '../../lib/exercise-support/02-activations-diagnostics.js';

/** Layers that own a weight matrix ("kernel"), in the order the input flows through them. */
function kernelLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.trainableWeights.some((w) => w.originalName.endsWith('/kernel')));
}

/**
 * L2 norm of the loss gradient w.r.t. each layer's kernel, first layer → last. The loss is the
 * mean softmax cross-entropy of the model's output logits against `batch.y`.
 */
export function gradientNormsByLayer(model: tf.LayersModel, batch: Batch): LayerGradientNorm[] {
  const layers = kernelLayers(model);
  if (layers.length === 0) throw new CourseError('gradientNormsByLayer: the model has no layer with a kernel', 'pass a model built from Dense layers');
  const kernels = layers.map((l) => l.trainableWeights.find((w) => w.originalName.endsWith('/kernel'))!.read() as tf.Variable);
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(batch.y, model.apply(batch.x) as tf.Tensor) as tf.Scalar,
      kernels,
    );
    return layers.map((layer, i) => ({ layer: layer.name, norm: l2Norm(grads[kernels[i]!.name]!) }));
  });
}

/** Fraction of ReLU units whose output is 0 for every example of `x` (they get no gradient at all). */
export function deadUnitFraction(model: tf.LayersModel, x: tf.Tensor): DeadUnits {
  const perLayer: DeadUnits['perLayer'] = [];
  tf.tidy(() => {
    let h = x;
    for (const layer of model.layers) {
      h = layer.apply(h) as tf.Tensor;
      if (!isReluLayer(layer)) continue;
      const everActive = tf.greater(tf.max(h, 0), 0); // [units]: did any example make it fire?
      const units = everActive.size;
      const dead = units - tf.sum(tf.cast(everActive, 'int32')).dataSync()[0]!;
      perLayer.push({ layer: layer.name, units, dead, fraction: dead / units });
    }
  });
  if (perLayer.length === 0) throw new CourseError('deadUnitFraction: the model has no ReLU layer', "build it with activation: 'relu'");
  const units = perLayer.reduce((a, l) => a + l.units, 0);
  const dead = perLayer.reduce((a, l) => a + l.dead, 0);
  return { perLayer, overall: dead / units };
}
