/**
 * The pretrained base of exercise 05-transfer-learning.
 *
 * No ImageNet weights are reachable offline, so the course makes its own *source task*: a small
 * CNN trained on Fashion-MNIST classes 0–4 (T-shirt/top, Trouser, Pullover, Dress, Coat). The
 * exercise transfers it to the *target task*, classes 5–9 (Sandal, Shirt, Sneaker, Bag, Ankle
 * boot), with few labels. Shirts resemble the source's tops; shoes and bags are new, so the
 * domains are related but not identical — the interesting case for transfer.
 *
 * Network ([n,28,28,1], pixels in [0,1]), every layer named so a transfer model can cut at it:
 *   conv1 (8, 3×3, ReLU) → pool1 → conv2 (16) → pool2 → conv3 (32) → pool3 (3×3)
 *   → flatten → fc1 (64, ReLU, the feature layer) → logits (5, softmax)
 * About 25k parameters (~100 KB), so it trains in a few minutes on wasm and is cheap to commit.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendInfo, initBackend } from '../backend/index.js';
import { FASHION_CLASSES, imagesToTensor, loadFashionMnist, type ImageSet } from '../data/fashion-mnist.js';
import { seedEverything } from '../random.js';
import { fitModel, saveModel } from '../train/index.js';

export const TRANSFER_BASE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'models', 'transfer-base');
/** classes the base was trained on (its source task) */
export const SOURCE_CLASSES: readonly number[] = Object.freeze([0, 1, 2, 3, 4]);
/** classes the exercise transfers to (the target task) */
export const TARGET_CLASSES: readonly number[] = Object.freeze([5, 6, 7, 8, 9]);
export const BASE_INPUT_SHAPE: [number, number, number] = [28, 28, 1];

/** The base architecture with fresh (seeded) weights: also the "from scratch" starting point. */
export function buildBaseCnn(seed: number, numClasses = SOURCE_CLASSES.length): tf.Sequential {
  const init = (k: number) => tf.initializers.heNormal({ seed: seed * 100 + k });
  const model = tf.sequential({ name: 'transfer_base' });
  const conv = (name: string, filters: number, k: number, first = false) =>
    tf.layers.conv2d({
      name,
      filters,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: init(k),
      ...(first ? { inputShape: BASE_INPUT_SHAPE } : {}),
    });
  model.add(conv('conv1', 8, 1, true));
  model.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
  model.add(conv('conv2', 16, 2));
  model.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
  model.add(conv('conv3', 32, 3));
  model.add(tf.layers.maxPooling2d({ name: 'pool3', poolSize: 2 }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'fc1', units: 64, activation: 'relu', kernelInitializer: init(4) }));
  model.add(
    tf.layers.dense({ name: 'logits', units: numClasses, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 5 }) }),
  );
  return model;
}

/** Labels 5..9 → 0..4 (or 0..4 → 0..4): index of each label in `classes`. */
export function remapLabels(labels: Int32Array, classes: readonly number[]): Int32Array {
  return Int32Array.from(labels, (l) => classes.indexOf(l));
}

/** Images + one-hot targets over `classes` (in their order). Caller disposes. */
export function toTensors(set: ImageSet, classes: readonly number[]): { x: tf.Tensor4D; y: tf.Tensor2D; labels: Int32Array } {
  const labels = remapLabels(set.labels, classes);
  const x = imagesToTensor(set);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classes.length) as tf.Tensor2D);
  return { x, y, labels };
}

/** Accuracy of `model` on the source-task test split (classes 0–4, all 5000 images). */
export function sourceTestAccuracy(model: tf.LayersModel): number {
  const { x, labels } = toTensors(loadFashionMnist('test', { classes: [...SOURCE_CLASSES] }), SOURCE_CLASSES);
  const pred = tf.tidy(() => (model.predict(x, { batchSize: 500 }) as tf.Tensor).argMax(-1).dataSync());
  x.dispose();
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) hits++;
  return hits / labels.length;
}

export interface TransferBaseLog {
  seed: number;
  epochs: number;
  backend: string;
  seconds: number;
  trainImages: number;
  sourceClasses: number[];
  sourceTestAccuracy: number;
  history: Record<string, number[]>;
}

async function run(opts: { seed: number; epochs?: number; out?: string }): Promise<void> {
  const epochs = opts.epochs ?? 4;
  const out = opts.out ?? TRANSFER_BASE_DIR;
  await initBackend();
  seedEverything(opts.seed);
  const started = Date.now();
  const checkpointDir = path.resolve(TRANSFER_BASE_DIR, '..', '..', '..', 'reports', 'pretrain', `transfer-base-seed${opts.seed}`);
  const train = toTensors(loadFashionMnist('train', { classes: [...SOURCE_CLASSES] }), SOURCE_CLASSES);
  const val = toTensors(loadFashionMnist('test', { classes: [...SOURCE_CLASSES] }), SOURCE_CLASSES);
  const model = buildBaseCnn(opts.seed);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const result = await fitModel(model, train.x, train.y, {
    epochs,
    batchSize: 64,
    seed: opts.seed,
    validationData: [val.x, val.y],
    label: 'transfer-base',
    // reports/ is git-ignored: an interrupted pretrain resumes from here, a finished one deletes it
    checkpoint: { dir: checkpointDir },
    resume: true,
  });
  rmSync(checkpointDir, { recursive: true, force: true });
  const acc = sourceTestAccuracy(model);
  await saveModel(model, out);
  const seconds = Math.round((Date.now() - started) / 1000);
  const backend = backendInfo()?.choice ?? tf.getBackend();
  const log: TransferBaseLog = {
    seed: opts.seed,
    epochs,
    backend,
    seconds,
    trainImages: train.labels.length,
    sourceClasses: [...SOURCE_CLASSES],
    sourceTestAccuracy: acc,
    history: result.history,
  };
  writeFileSync(path.join(out, 'training-log.json'), JSON.stringify(log, null, 2) + '\n');
  const h = result.history;
  const rows = Array.from({ length: h.loss?.length ?? 0 }, (_, e) => {
    const f = (k: string) => (h[k]?.[e] !== undefined ? h[k]![e]!.toFixed(4) : '–');
    return `| ${e + 1} | ${f('loss')} | ${f('acc')} | ${f('val_loss')} | ${f('val_acc')} |`;
  });
  const readme = `# transfer-base — the pretrained CNN of exercise 05-transfer-learning

Made by \`course pretrain transfer-base --seed ${opts.seed}\` (lib/pretrain/transfer-base.ts).

**Source task:** Fashion-MNIST classes ${SOURCE_CLASSES.map((c) => `${c} ${FASHION_CLASSES[c]}`).join(', ')}.
The exercise transfers it to classes ${TARGET_CLASSES.map((c) => `${c} ${FASHION_CLASSES[c]}`).join(', ')}
with few labels. It stands in for an ImageNet model, which cannot be downloaded offline.

| | |
|---|---|
| layers | conv1 (8, 3×3 ReLU) → pool1 → conv2 (16) → pool2 → conv3 (32) → pool3 → flatten → fc1 (64 ReLU) → logits (5 softmax) |
| input | [n, 28, 28, 1], pixels in [0, 1] |
| data | ${train.labels.length} training images of the source classes; evaluated on their ${val.labels.length} test images |
| seed | ${opts.seed} (initialisers + shuffling) |
| epochs | ${epochs}, batch 64, Adam lr 1e-3 |
| source-task test accuracy | **${(acc * 100).toFixed(2)} %** (also in training-log.json, checked by test/05-transfer-learning.test.ts) |
| backend | ${backend}, ${seconds} s |

## Training log
| epoch | loss | acc | val_loss (test) | val_acc (test) |
|---|---|---|---|---|
${rows.join('\n')}

Files: \`model.json\` + \`weights.bin\` (tfjs layers format: \`loadModel\` from lib/train, or
\`tf.loadLayersModel('file://…/model.json')\` under tfjs-node).
`;
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'README.md'), readme);
  console.error(`[transfer-base] source-task test accuracy ${(acc * 100).toFixed(2)} % after ${epochs} epochs (${seconds} s on ${backend}); saved to ${out}`);
  tf.dispose([train.x, train.y, val.x, val.y]);
  model.dispose();
}

export const pretrainJob = {
  name: 'transfer-base',
  description: 'small CNN trained on Fashion-MNIST classes 0–4; the pretrained base that 05-transfer-learning transfers to classes 5–9',
  run,
};
