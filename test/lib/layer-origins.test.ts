/**
 * tfjs-layers errors name the student's layer and line (test/support/layer-origins.ts, loaded by
 * the setup file for every test run and every grade): a wrong reshape in a generator-like model
 * reports the Reshape layer, its position, its input shape and the line of the model.add call.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { classify } from '../../lib/grader/feedback.js';

function buildBadGenerator(): tf.Sequential {
  const model = tf.sequential({ name: 'gen' });
  model.add(tf.layers.dense({ inputShape: [8], units: 7 * 7 * 4 }));
  model.add(tf.layers.reshape({ targetShape: [14, 14, 4] })); // the planted bug: 7·7·4 values, not 14·14·4
  model.add(tf.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same' }));
  return model;
}

describe('errors from inside tfjs-layers', () => {
  test('a wrong reshape names the Reshape layer, its place, input shape and the line that added it', () => {
    let err: Error | undefined;
    const g = buildBadGenerator(); // the symbolic shapes don't catch it ([null, 196] → [null, 14, 14, 4])
    const z = tf.zeros([2, 8]);
    try {
      g.predict(z);
    } catch (e) {
      err = e as Error;
    }
    z.dispose();
    g.dispose();
    expect(err?.message).toMatch(/^Total size of new array must be unchanged\./);
    expect(err?.message).toMatch(/\[in Reshape layer "reshape_Reshape\d+" \(layer 2 of gen\), input shape \[2,196\], output shape \[null,14,14,4\]; added at \/\S+\/test\/lib\/layer-origins\.test\.ts:13:\d+\]$/);
    // the feedback keeps the bracket whole, with the path cut to the exercise folder
    const { kind, detail } = classify({ name: err!.name, message: err!.message.replace(/\/\S+\/test\/lib\//, '/stage/lib/') }, 'lib');
    expect(kind).toBe('threw');
    expect(detail).toMatch(/added at layer-origins\.test\.ts:13:\d+\]$/);
  });

  test('an input of the wrong width at predict names the layer that rejected it, once', () => {
    const model = tf.sequential({ name: 'disc' });
    model.add(tf.layers.flatten({ inputShape: [14, 14, 1] }));
    model.add(tf.layers.dense({ units: 1 }));
    const other = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
    const x = tf.zeros([2, 5]);
    let message = '';
    try {
      other.apply(x);
    } catch (e) {
      message = (e as Error).message;
    }
    x.dispose();
    expect(message).toMatch(/\[in Dense layer "dense_Dense\d+"/);
    expect(message.split('[in ').length - 1).toBe(1);
    model.dispose();
    other.dispose();
  });

  test('a correct model is untouched: same output, no error', () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, kernelInitializer: 'ones' })] });
    const y = tf.tidy(() => (model.predict(tf.tensor2d([[1, 2]])) as tf.Tensor).dataSync()[0]);
    expect(y).toBeCloseTo(3, 6);
    model.dispose();
  });
});
