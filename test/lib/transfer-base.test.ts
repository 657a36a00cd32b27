/**
 * The committed transfer base (data/models/transfer-base) and the base loader's input adapter.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBase, makeInputAdapter } from '../../lib/models/load-base.js';
import { sourceTestAccuracy, TRANSFER_BASE_DIR, type TransferBaseLog } from '../../lib/pretrain/transfer-base.js';
import { saveModel } from '../../lib/train/checkpoint.js';

describe('transfer base', () => {
  it('the committed base loads and scores its recorded source-task accuracy (±0.01)', async () => {
    const log = JSON.parse(readFileSync(path.join(TRANSFER_BASE_DIR, 'training-log.json'), 'utf8')) as TransferBaseLog;
    const base = await loadBase();
    expect(base.identity).toBe(true);
    expect(base.model.layers.map((l) => l.name)).toEqual(['conv1', 'pool1', 'conv2', 'pool2', 'conv3', 'pool3', 'flatten', 'fc1', 'logits']);
    const acc = sourceTestAccuracy(base.model);
    expect(Math.abs(acc - log.sourceTestAccuracy)).toBeLessThanOrEqual(0.01);
    expect(acc).toBeGreaterThan(0.85);
    base.model.dispose();
  });

  it('loads another layers model from disk and adapts 28×28 grey images to its 32×32×3 input', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'transfer-base-'));
    try {
      // a tiny RGB "ImageNet-style" model standing in for e.g. MobileNet
      const rgb = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'rgb_conv' }),
          tf.layers.globalAveragePooling2d({ name: 'rgb_pool' }),
          tf.layers.dense({ units: 7, activation: 'softmax', name: 'rgb_out' }),
        ],
      });
      await saveModel(rgb, dir);
      const loaded = await loadBase(path.join(dir, 'model.json'), { range: [-1, 1] });
      expect(loaded.inputShape).toEqual([32, 32, 3]);
      expect(loaded.identity).toBe(false);
      // left half black, right half white
      const grey = tf.tidy(() => tf.concat([tf.zeros([2, 28, 14, 1]), tf.ones([2, 28, 14, 1])], 2) as tf.Tensor4D);
      const x = loaded.adapt(grey);
      expect(x.shape).toEqual([2, 32, 32, 3]);
      const v = x.arraySync() as number[][][][];
      expect(v[0]![5]![0]!).toEqual([-1, -1, -1]); // black → −1 on every channel
      expect(v[1]![5]![31]!).toEqual([1, 1, 1]); // white → +1
      const probs = loaded.model.predict(x) as tf.Tensor;
      expect(probs.shape).toEqual([2, 7]);
      // same weights as the saved model
      const expected = rgb.predict(x) as tf.Tensor;
      expect(tf.max(tf.abs(tf.sub(probs, expected))).dataSync()[0]).toBeLessThan(1e-6);
      const before = tf.memory().numTensors;
      tf.dispose(loaded.adapt(grey));
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([grey, x, probs, expected]);
      loaded.model.dispose();
      rgb.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the adapter refuses colour input and odd bases with a clear error', () => {
    expect(() => makeInputAdapter([224, 224, 4])).toThrow(/channels/);
    expect(() => makeInputAdapter([10])).toThrow(/height, width, channels/);
    const adapter = makeInputAdapter([28, 28, 1]);
    const rgb = tf.zeros([1, 28, 28, 3]) as tf.Tensor4D;
    expect(() => adapter.adapt(rgb)).toThrow(/grey images/);
    rgb.dispose();
  });
});
