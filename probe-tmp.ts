import * as tf from '@tensorflow/tfjs';
import { initBackend } from './lib/backend/index.js';
import * as C from './solutions/07-cnn/index.js';
import { buildMlp } from './lib/models/mlp.js';
import { loadFlatFashion } from './lib/data/flat-fashion.js';
import { trainEpoch, evaluate } from './lib/train/classifier-epoch.js';
import { makeRng, seedEverything } from './lib/random.js';
await initBackend({ quiet: true });
seedEverything(1234);
const per = Number(process.env.PER ?? 50), epochs = Number(process.env.EP ?? 4);
const tr = loadFlatFashion('train', per, 5), te = loadFlatFashion("test", Number(process.env.TE ?? 50), 6);
for (const seed of (process.env.SEEDS ?? "1,2").split(",").map(Number)) {
for (const [name, model] of [['cnn', C.buildCnn({ filters: [8, 16], kernel: 3, seed })], ['mlp', buildMlp({ activation: 'relu', hidden: [32], seed, init: 'heNormal' })]] as const) {
  const opt = tf.train.adam(0.003);
  const t0 = Date.now();
  const rng = makeRng(seed);
  for (let e = 0; e < epochs; e++) trainEpoch(model, opt, tr, 32, rng);
  const ev = evaluate(model, te);
  const sh = C.accuracyUnderShift(model, te.x, te.labels, [0, 1, 2, 3, 4]);
  console.log(seed, name, model.countParams(), ((Date.now() - t0) / 1000).toFixed(1) + 's', ev.accuracy.toFixed(3), sh.map((v) => v.toFixed(3)).join(' '));
}}
