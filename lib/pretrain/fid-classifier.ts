/**
 * The feature extractor behind the course's FID-style score (exercise 04-dcgan).
 *
 * FID proper uses Inception-v3 trained on ImageNet; its features mean little for 28×28
 * grey-scale clothes and the weights are far too big to ship. Instead the course trains a small
 * Fashion-MNIST classifier once, reproducibly, and commits it to data/models/fashion-classifier/.
 * The Fréchet distance between its penultimate-layer activations on two image sets
 * (lib/metrics/frechet.ts) is then an FID-*style* score for this dataset only.
 *
 * Network: [28,28,1] in [−1, 1] (the GAN's pixel range) → Flatten → Dense 256 ReLU
 *          → Dense 64 ReLU (the feature layer) → Dense 10 softmax.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { backendInfo, initBackend } from '../backend/index.js';
import { FASHION_CLASSES, imagesToTensor, loadFashionMnist } from '../data/fashion-mnist.js';
import { seedEverything } from '../random.js';
import { fitModel, saveModel } from '../train/index.js';

export const FID_CLASSIFIER_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'data', 'models', 'fashion-classifier');
export const FID_FEATURE_DIM = 64;
/** the pixel range the classifier was trained on (same as the GAN's tanh output) */
export const FID_INPUT_RANGE: [number, number] = [-1, 1];

export function buildFidClassifier(seed: number): tf.Sequential {
  const init = (k: number) => tf.initializers.heNormal({ seed: seed * 10 + k });
  const model = tf.sequential({ name: 'fashion_classifier' });
  model.add(tf.layers.flatten({ inputShape: [28, 28, 1] }));
  model.add(tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: init(1) }));
  model.add(tf.layers.dense({ units: FID_FEATURE_DIM, activation: 'relu', kernelInitializer: init(2), name: 'features' }));
  model.add(tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 10 + 3 }) }));
  return model;
}

export interface PretrainOptions {
  seed: number;
  epochs?: number;
  /** output folder (default data/models/fashion-classifier) */
  out?: string;
}

async function run(opts: PretrainOptions): Promise<void> {
  const epochs = opts.epochs ?? 8;
  const out = opts.out ?? FID_CLASSIFIER_DIR;
  await initBackend();
  seedEverything(opts.seed);
  const started = Date.now();
  const train = loadFashionMnist('train');
  const test = loadFashionMnist('test');
  const x = imagesToTensor(train, FID_INPUT_RANGE);
  const y = tf.oneHot(tf.tensor1d(train.labels, 'int32'), 10);
  const xTest = imagesToTensor(test, FID_INPUT_RANGE);
  const yTest = tf.oneHot(tf.tensor1d(test.labels, 'int32'), 10);
  const model = buildFidClassifier(opts.seed);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const result = await fitModel(model, x, y, { epochs, batchSize: 128, seed: opts.seed, validationData: [xTest, yTest], label: 'fid-classifier' });
  const [testLoss, testAcc] = (model.evaluate(xTest, yTest, { batchSize: 1000 }) as tf.Scalar[]).map((t) => t.dataSync()[0]!);
  await saveModel(model, out);
  const seconds = (Date.now() - started) / 1000;
  const backend = backendInfo()?.choice ?? tf.getBackend();
  const h = result.history;
  const rows = Array.from({ length: result.epochsRun }, (_, e) => {
    const f = (k: string) => (h[k]?.[e] !== undefined ? h[k]![e]!.toFixed(4) : '–');
    return `| ${e + 1} | ${f('loss')} | ${f('acc')} | ${f('val_loss')} | ${f('val_acc')} |`;
  });
  const readme = `# fashion-classifier — feature extractor for the FID-style score

Made by \`course pretrain fid-classifier --seed ${opts.seed} --epochs ${epochs}\` (lib/pretrain/fid-classifier.ts).
Used by exercise 04-dcgan: the Fréchet distance between this network's **penultimate-layer**
activations (layer \`features\`, ${FID_FEATURE_DIM} ReLU units) on real and generated images.

**This is not ImageNet FID.** FID uses Inception-v3 features; this is the same formula on the
features of a small classifier trained only on Fashion-MNIST, so its values are meaningful only
for comparing Fashion-MNIST generators with each other, and only with this exact model file.

| | |
|---|---|
| architecture | Flatten → Dense 256 ReLU → Dense ${FID_FEATURE_DIM} ReLU (\`features\`) → Dense 10 softmax |
| input | [n, 28, 28, 1], pixels scaled to [${FID_INPUT_RANGE.join(', ')}] (like the GAN's tanh output) |
| data | Fashion-MNIST train split, all 60 000 images; evaluated on the 10 000 test images |
| seed | ${opts.seed} (weight initialisers + shuffling) |
| epochs | ${result.epochsRun}, batch 128, Adam lr 1e-3 |
| test accuracy | **${(testAcc * 100).toFixed(2)} %** (test loss ${testLoss.toFixed(4)}) |
| backend | ${backend}, ${seconds.toFixed(0)} s |
| classes | ${FASHION_CLASSES.join(', ')} |

## Training log
| epoch | loss | acc | val_loss (test) | val_acc (test) |
|---|---|---|---|---|
${rows.join('\n')}

Files: \`model.json\` + \`weights.bin\` (tfjs layers format; load with \`loadModel\` from lib/train).
`;
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'README.md'), readme);
  console.error(`[fid-classifier] test accuracy ${(testAcc * 100).toFixed(2)} % after ${result.epochsRun} epochs (${seconds.toFixed(0)} s on ${backend}); saved to ${out}`);
  tf.dispose([x, y, xTest, yTest]);
  model.dispose();
}

export const pretrainJob = {
  name: 'fid-classifier',
  description: 'Fashion-MNIST MLP whose 64-unit penultimate layer gives the features for the FID-style score of 04-dcgan',
  run,
};
