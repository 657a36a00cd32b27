/**
 * Child process for test/lib/webgpu.test.ts: 03's sampling pattern on webgpu (forced) — a GRU
 * language model predicting one character at a time, each read with dataSync, no await in
 * between — and how many bind groups Dawn had to create. Prints `SYNCLOOP {json}`.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/index.js';
import { bindGroupStats } from '../../lib/backend/dawn-reuse.js';

await initBackend({ backend: 'webgpu', quiet: true });
const vocab = 12;
const model = tf.sequential();
model.add(tf.layers.embedding({ inputDim: vocab, outputDim: 8, inputShape: [null], embeddingsInitializer: tf.initializers.randomNormal({ seed: 1 }) }));
model.add(tf.layers.gru({ units: 16, returnSequences: true, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
model.add(tf.layers.dense({ units: vocab, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
const ids = [1, 2, 3];
const madeAt: number[] = [];
const steps = Number(process.argv[2] ?? 120);
for (let i = 0; i < steps; i++) {
  const context = ids.slice(-8);
  const last = tf.tidy(() => (model.predict(tf.tensor2d(context, [1, context.length], 'int32')) as tf.Tensor).slice([0, context.length - 1, 0], [1, 1, vocab]).dataSync());
  ids.push(last.indexOf(Math.max(...last)));
  if ((i + 1) % 40 === 0) madeAt.push(bindGroupStats.made);
}
console.log(`SYNCLOOP ${JSON.stringify({ madeAt, reused: bindGroupStats.reused, tensors: tf.memory().numTensors })}`);
model.dispose();
