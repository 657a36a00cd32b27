/**
 * Loading a pretrained base for transfer learning (exercise 05-transfer-learning).
 *
 * By default the course's own base (data/models/transfer-base, see lib/pretrain/transfer-base.ts).
 * Any other tfjs layers model works too (`--base path/model.json`, e.g. a MobileNet an instructor
 * has on disk): its input will rarely be 28×28 grey, so `loadBase` also returns an input adapter
 * that resizes the images to the base's input size, repeats the grey channel to fill its channels
 * and maps pixels from [0,1] to the range the base expects.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';
import { TRANSFER_BASE_DIR } from '../pretrain/transfer-base.js';
import { loadModel } from '../train/checkpoint.js';

export interface LoadedBase {
  model: tf.LayersModel;
  /** the base's input size [height, width, channels] */
  inputShape: [number, number, number];
  /** [n,h,w,1] images in [0,1] → the base's input (new tensor; caller disposes) */
  adapt(images: tf.Tensor4D): tf.Tensor4D;
  /** true when adapt() does nothing (the input already fits) */
  identity: boolean;
}

export interface InputAdapterOptions {
  /** pixel range the base was trained on (default [0, 1]; MobileNet uses [-1, 1]) */
  range?: [number, number];
}

/** Resize + grey→C channels + rescale, as a function on image batches. */
export function makeInputAdapter(inputShape: readonly number[], opts: InputAdapterOptions = {}): Omit<LoadedBase, 'model'> {
  if (inputShape.length !== 3 || inputShape.some((d) => !(Number.isInteger(d) && d > 0))) {
    throw new CourseError(
      `a transfer base needs image input [height, width, channels], this one takes [${inputShape.join(', ')}]`,
      'pass an image model (conv net) whose input is a 4-D batch of images with fixed size',
    );
  }
  const [h, w, c] = inputShape as [number, number, number];
  if (c !== 1 && c !== 3) {
    throw new CourseError(`the base expects ${c} input channels`, 'use a base that takes grey (1) or RGB (3) images');
  }
  const [lo, hi] = opts.range ?? [0, 1];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new CourseError(`input range must be [lo, hi] with lo < hi, got [${lo}, ${hi}]`, 'use [0, 1] or [-1, 1]');
  }
  const identity = h === 28 && w === 28 && c === 1 && lo === 0 && hi === 1;
  const adapt = (images: tf.Tensor4D): tf.Tensor4D => {
    if (images.rank !== 4 || images.shape[3] !== 1) {
      throw new CourseError(`the input adapter takes grey images [n,h,w,1], got [${images.shape.join(',')}]`, 'pass imagesToTensor(set) from lib/data');
    }
    if (identity) return images.clone();
    return tf.tidy(() => {
      let x: tf.Tensor4D = images;
      if (images.shape[1] !== h || images.shape[2] !== w) x = tf.image.resizeBilinear(x, [h, w]);
      if (c === 3) x = tf.tile(x, [1, 1, 1, 3]);
      if (lo !== 0 || hi !== 1) x = x.mul(hi - lo).add(lo);
      return x;
    });
  };
  return { inputShape: [h, w, c], adapt, identity };
}

/**
 * Loads `modelPath` (a model.json, or a folder holding one), default the course's committed base.
 * The model comes back fresh each call, so every strategy can start from its own copy.
 */
export async function loadBase(modelPath: string = TRANSFER_BASE_DIR, opts: InputAdapterOptions = {}): Promise<LoadedBase> {
  const model = await loadModel(modelPath);
  const shape = model.inputs[0]!.shape.slice(1);
  if (shape.some((d) => d === null)) {
    model.dispose();
    throw new CourseError(
      `the base at ${modelPath} has an input of unknown size [${shape.join(', ')}]`,
      'export the model with a fixed input size (e.g. 224×224×3 for MobileNet)',
    );
  }
  return { model, ...makeInputAdapter(shape as number[], opts) };
}
