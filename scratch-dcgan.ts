import * as tf from '@tensorflow/tfjs';
import { initBackend } from './lib/backend/index.js';
import { imagesToTensor, loadFashionMnist } from './lib/data/fashion-mnist.js';
import { imageGrid } from './lib/plot/index.js';
import { compileStep } from './lib/backend/graph/index.js';
import { makeRng } from './lib/random.js';
import { seedEverything } from './lib/random.js';
import * as impl from './solutions/04-dcgan/index.js';
await initBackend();
seedEverything(42);
const width = Number(process.argv[2] ?? 32), total = Number(process.argv[3] ?? 3000), lr = Number(process.argv[4] ?? 2e-4), n = Number(process.argv[5] ?? 20000);
const config = { latentDim: 64, width, dropout: 0.3, seed: 42 };
const models = { generator: impl.buildGenerator(config), discriminator: impl.buildDiscriminator(config) };
const optimizers = { generator: tf.train.adam(lr, 0.5), discriminator: tf.train.adam(lr, 0.5) };
const images = imagesToTensor(loadFashionMnist('train', { limit: n, seed: 42 }), [-1, 1]);
const gridNoise = tf.randomNormal([32, 64], 0, 1, 'float32', 7) as tf.Tensor2D;
let rng = makeRng(1);
const step = compileStep((batch) => impl.trainStep(models, optimizers, batch as tf.Tensor4D, rng), { name: 'exp' });
const t0 = process.cpuUsage(); const w0 = Date.now();
for (let s = 1; s <= total; s++) {
  rng = makeRng(s);
  const idx = tf.tensor1d(Array.from({ length: 64 }, () => Math.floor(Math.random() * n)), 'int32');
  const b = tf.gather(images, idx) as tf.Tensor4D;
  const l = step(b);
  tf.dispose([idx, b]);
  if (s % 250 === 0) {
    const u = process.cpuUsage(t0);
    console.log(`w${width} lr${lr} step ${s} d ${l.dLoss.toFixed(3)} g ${l.gLoss.toFixed(3)} cpu ${((u.user + u.system) / 1e6).toFixed(0)} s wall ${((Date.now() - w0) / 1000).toFixed(0)} s load ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
    const g = impl.samplesForGrid(models.generator, gridNoise);
    imageGrid(`/tmp/dcx/w${width}-lr${lr}-s${s}.png`, g, { cols: 8, title: `w${width} step ${s}` });
    g.dispose();
  }
}
