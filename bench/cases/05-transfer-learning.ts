/**
 * 05-transfer-learning's fine-tuning step (solutions/05-transfer-learning fineTune): the course's
 * transfer base cut at `flatten`, conv3 and above unfrozen (conv weight gradients needed), a new
 * softmax head, two Adam optimisers; one step = one mini-batch of BATCH images.
 *
 * `step()` is a whole fineTune call of one epoch of one batch, so besides the mini-batch step it
 * also makes (and disposes) its two Adams, whose first update creates their slot variables. The
 * `graph` step is one of fineTune's mini-batch steps exactly as its loop runs it (the same
 * variable split by unfreezeFrom, the mean categorical cross-entropy in training mode, the head's
 * Adam at headLearningRate and the base's at learningRate), with the two Adams kept across steps
 * as within one fineTune call: a compiled step can't create variables. The full run itself keeps
 * the target's fineTune eager (graded student code with its own loop).
 */
import * as tf from '@tensorflow/tfjs';
import { HEAD_PREFIX, buildTransferModel, fineTune } from '../../solutions/05-transfer-learning/index.js';
import { buildBaseCnn } from '../../lib/pretrain/transfer-base.js';
import { BATCH, type BenchCase, type GraphStep } from './_shared.js';

const UNFREEZE_FROM = 'conv3';
const LEARNING_RATE = 1e-4;
const HEAD_LEARNING_RATE = 1e-3;

/**
 * One of fineTune's mini-batch steps as a function of the batch, (xb, yb) → loss, with its two
 * Adams (disposed by `dispose`). Sets the layers' trainable flags as fineTune does.
 */
export function fineTuneStep(model: tf.LayersModel, unfreezeFrom: string, learningRate: number, headLearningRate: number) {
  // fineTune's split: head layers at the head's rate, unfreezeFrom and every base layer above it at the base's
  const from = model.layers.findIndex((l) => l.name === unfreezeFrom);
  const headVars: tf.Variable[] = [];
  const baseVars: tf.Variable[] = [];
  model.layers.forEach((layer, i) => {
    const head = layer.name.startsWith(HEAD_PREFIX);
    layer.trainable = head || i >= from;
    if (!layer.trainable) return;
    for (const w of layer.trainableWeights) (head ? headVars : baseVars).push(w.read() as tf.Variable);
  });
  const headOpt = tf.train.adam(headLearningRate);
  const baseOpt = tf.train.adam(learningRate);
  return {
    fn: (xb: tf.Tensor, yb: tf.Tensor): tf.Scalar =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => tf.mean(tf.metrics.categoricalCrossentropy(yb, model.apply(xb, { training: true }) as tf.Tensor)) as tf.Scalar,
          [...headVars, ...baseVars],
        );
        const pick = (vars: tf.Variable[]) => vars.map((v) => ({ name: v.name, tensor: grads[v.name]! }));
        headOpt.applyGradients(pick(headVars));
        if (baseVars.length > 0) baseOpt.applyGradients(pick(baseVars));
        return value;
      }),
    optimizers: [headOpt, baseOpt],
    dispose: (): void => {
      headOpt.dispose();
      baseOpt.dispose();
    },
  };
}

export const benchCase: BenchCase = {
  name: '05-transfer-finetune-step',
  exercise: '05-transfer-learning',
  async setup() {
    const model = buildTransferModel(buildBaseCnn(1), { numClasses: 5, cutAt: 'flatten', freeze: true });
    const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 5);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 5).toFloat() as tf.Tensor2D;
    const data = { x, y, labels };

    const { fn, dispose: disposeOptimizers } = fineTuneStep(model, UNFREEZE_FROM, LEARNING_RATE, HEAD_LEARNING_RATE);
    const graph: GraphStep = { fn, args: () => [x, y] };
    return {
      graph,
      step: async () => {
        await fineTune(model, data, { unfreezeFrom: UNFREEZE_FROM, learningRate: LEARNING_RATE, headLearningRate: HEAD_LEARNING_RATE, epochs: 1, batchSize: BATCH, quiet: true });
      },
      dispose: () => {
        tf.dispose([x, y]);
        disposeOptimizers();
        model.dispose();
      },
    };
  },
};
