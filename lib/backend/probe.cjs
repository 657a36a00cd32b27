'use strict';
/**
 * THE answer to "does this backend work": a tiny training run, shared by
 *   - initBackend() (lib/backend/index.ts), in-process, before it accepts the native backend,
 *   - the native install check (scripts/provision-native.mjs) and `course doctor`
 *     (lib/backend/native.ts), in a child process: `node lib/backend/probe.cjs`,
 *   - the grader's environment canary (lib/grader/canary.ts), on the chosen backend.
 * Loading and one matMul is not enough: tfjs-node 4.22 on Node 23+ loads and multiplies, then
 * fails in the first model.fit.
 *
 * probeBackend(tf) runs, on tf's current backend: a dense model fit + predict, an LSTM training
 * step, a conv2d + conv2dTranspose gradient step, optimizer.minimize on a variable, and checks
 * known values. It throws an Error saying which step failed; it leaves no tensors behind.
 *
 * CLI (child-process form): `node lib/backend/probe.cjs [package]` loads the Node shim
 * (unless COURSE_NODE_SHIM=0), requires `package` (default @tensorflow/tfjs-node), runs the
 * probe, prints `PROBE OK <tf.getBackend()> <TensorFlow version>` and exits 0, or prints
 * `PROBE FAIL <step>: <error>` and exits 1.
 */

function check(cond, what) {
  if (!cond) throw new Error(what);
}

// Tolerance: every value checked below is a small integer or a dyadic fraction (22, 64, 16, 32,
// 0.75), exact in float32 whatever order a GPU sums in or whether it fuses multiply-adds, and
// softmax rows sum to 1 within a few float32 ulps (WGSL's exp may be off by 3 + 2|x| ulp): 1e-3
// relative leaves room for both and still fails on any wrong kernel (errors of order 1).
function close(a, b, tol = 1e-3) {
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
}

async function step(name, fn) {
  try {
    return await fn();
  } catch (err) {
    const msg = err && err.message ? String(err.message).split('\n')[0] : String(err);
    const e = new Error(`${name}: ${msg}`);
    e.cause = err;
    throw e;
  }
}

/** The probe; `tf` is the @tensorflow/tfjs (or tfjs-node) namespace, on the backend to test. */
async function probeBackend(tf) {
  const before = tf.memory().numTensors;
  const models = [];
  try {
    await step('matMul', async () => {
      const v = tf.tidy(() => tf.tensor2d([[1, 2], [3, 4]]).matMul(tf.tensor2d([[1, 2], [3, 4]])).dataSync());
      check(v[3] === 22, `wrong result [${Array.from(v)}], expected [7,10,15,22]`);
    });

    await step('dense fit + predict', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ units: 3, inputShape: [2], activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
          tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        ],
      });
      models.push(model);
      model.compile({ optimizer: tf.train.adam(0.05), loss: 'categoricalCrossentropy' });
      const x = tf.tensor2d([[0, 0], [0, 1], [1, 0], [1, 1]]);
      const y = tf.tensor2d([[1, 0], [0, 1], [0, 1], [1, 0]]);
      try {
        const h = await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, shuffle: false });
        const losses = h.history.loss;
        check(losses.every(Number.isFinite), `loss not finite: ${losses}`);
        const p = tf.tidy(() => model.predict(x).sum(1).dataSync());
        check(Array.from(p).every((s) => close(s, 1)), `softmax rows do not sum to 1: ${Array.from(p)}`);
      } finally {
        tf.dispose([x, y]);
      }
    });

    await step('LSTM training step', async () => {
      const model = tf.sequential({
        layers: [
          tf.layers.lstm({ units: 4, inputShape: [3, 2], kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), recurrentInitializer: tf.initializers.orthogonal({ seed: 4 }) }),
          tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }),
        ],
      });
      models.push(model);
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      const x = tf.ones([2, 3, 2]);
      const y = tf.ones([2, 1]);
      try {
        const w0 = model.layers[0].getWeights()[0].dataSync().slice();
        const r = await model.trainOnBatch(x, y);
        check(Number.isFinite(Array.isArray(r) ? r[0] : r), `loss not finite: ${r}`);
        const w1 = model.layers[0].getWeights()[0].dataSync();
        check(w1.some((v, i) => v !== w0[i]), 'the LSTM kernel did not change after a training step');
      } finally {
        tf.dispose([x, y]);
      }
    });

    await step('conv2d + conv2dTranspose gradients', async () => {
      const [gx, gw] = tf.tidy(() => {
        const x = tf.ones([1, 3, 3, 1]);
        const w = tf.ones([2, 2, 1, 1]);
        // conv2d(ones 3×3, ones 2×2, valid) = 4 everywhere; its transpose back to 3×3 with ones.
        const f = (xx, ww) => tf.conv2dTranspose(tf.conv2d(xx, ww, 1, 'valid'), ww, [1, 3, 3, 1], 1, 'valid').sum();
        const y = f(x, w).dataSync()[0];
        check(y === 64, `conv2d→conv2dTranspose of ones gave ${y}, expected 64`);
        return tf.grads(f)([x, w]).map((g) => g.dataSync());
      });
      // d/dx: each input pixel reaches (#windows covering it) outputs of the conv, each feeding 4 → 4·(1,2,1 ⊗ 1,2,1)
      check(close(gx[4], 16) && close(gx[0], 4), `wrong input gradient [${Array.from(gx)}]`);
      check(gw.every((v) => close(v, 32)), `wrong kernel gradient [${Array.from(gw)}]`);
    });

    await step('optimizer.minimize', async () => {
      const v = tf.tidy(() => tf.variable(tf.scalar(3)));
      const opt = tf.train.sgd(0.25);
      try {
        for (let i = 0; i < 2; i++) opt.minimize(() => v.square());
        const out = v.dataSync()[0]; // 3 → 1.5 → 0.75
        check(close(out, 0.75), `sgd on v² from 3 gave ${out}, expected 0.75`);
      } finally {
        opt.dispose();
        v.dispose();
      }
    });
  } finally {
    for (const m of models) {
      if (m.optimizer) m.optimizer.dispose();
      m.dispose();
    }
  }
  const left = tf.memory().numTensors - before;
  if (left > 0) throw new Error(`the probe left ${left} tensors behind`);
}

module.exports = { probeBackend };

if (require.main === module) {
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  require('./node-compat.cjs').applyNodeCompat();
  const pkg = process.argv[2] || '@tensorflow/tfjs-node';
  (async () => {
    let tf;
    try {
      tf = require(pkg);
    } catch (err) {
      console.log(`PROBE FAIL load ${pkg}: ${String(err && err.message).split('\n')[0]}`);
      process.exit(1);
    }
    try {
      await probeBackend(tf);
      const version = (tf.backend().binding && tf.backend().binding.TF_Version) || '?';
      console.log(`PROBE OK ${tf.getBackend()} ${version}`);
      process.exit(0);
    } catch (err) {
      console.log(`PROBE FAIL ${String(err && err.message).split('\n')[0]}`);
      process.exit(1);
    }
  })();
}
