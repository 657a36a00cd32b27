/**
 * Child process for test/lib/webgpu.test.ts: an int32 transpose of rank 3 on the GPU (webgpu,
 * forced), compared with the cpu backend's. Prints `TRANSPOSE {"equal":…}`.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/index.js';

await initBackend({ backend: 'webgpu', quiet: true });
const ids = () => tf.range(0, 64 * 40 * 3, 1, 'int32').reshape([64, 40, 3]);
// the add keeps the tensor on the GPU (tfjs moves small CPU-side tensors on the CPU)
const onGpu = tf.tidy(() => Array.from(tf.transpose(tf.add(ids(), tf.scalar(0, 'int32')), [1, 0, 2]).dataSync()));
await tf.setBackend('cpu');
const onCpu = tf.tidy(() => Array.from(tf.transpose(ids(), [1, 0, 2]).dataSync()));
console.log(`TRANSPOSE ${JSON.stringify({ equal: onGpu.every((v, i) => v === onCpu[i]), first: onGpu.slice(0, 4) })}`);
