/**
 * 07-cnn: the types and input checks that are not the lesson, shared by the student stub
 * (exercises/) and the reference (solutions/), which re-export them.
 */
import type * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';

export type Padding = 'valid' | 'same';

export interface ConvOptions {
  /** the step between two window positions, the same along height and width (default 1) */
  stride?: number;
  /** 'valid': no padding; 'same': pad so the output has ⌈n / stride⌉ rows and columns (default 'valid') */
  padding?: Padding;
}

export interface PoolOptions extends ConvOptions {
  /** the side of the square pooling window */
  size: number;
}

/** One layer of a small image network, as the parameter counter and receptive-field tools read it. */
export type LayerSpec =
  | { type: 'conv'; filters: number; kernel: number; stride?: number; padding?: Padding }
  | { type: 'pool'; size: number; stride?: number; padding?: Padding }
  | { type: 'flatten' }
  | { type: 'dense'; units: number };

export interface ParamCount {
  /** trainable parameters of each layer, in order (0 for pool and flatten) */
  perLayer: number[];
  total: number;
  /** the shape after each layer, [h, w, c] for image layers and [units] after flatten/dense */
  shapes: number[][];
}

export interface CnnSpec {
  /** filters of the two conv layers, e.g. [8, 16] */
  filters: [number, number];
  /** side of every conv kernel (odd, e.g. 3 or 5) */
  kernel: number;
  /** seeds every kernel initialiser (layer i gets seed + i) */
  seed: number;
  numClasses?: number;
}

/** stride and padding with their defaults, checked */
export function convDefaults(fn: string, opts: ConvOptions = {}): { stride: number; padding: Padding } {
  const stride = opts.stride ?? 1;
  const padding = opts.padding ?? 'valid';
  if (!Number.isInteger(stride) || stride < 1) {
    throw new CourseError(`${fn}: stride must be a whole number ≥ 1, got ${stride}`, 'pass e.g. { stride: 1 } or { stride: 2 }');
  }
  if (padding !== 'valid' && padding !== 'same') {
    throw new CourseError(`${fn}: padding must be 'valid' or 'same', got ${String(padding)}`, "pass { padding: 'valid' } (no padding) or { padding: 'same' }");
  }
  return { stride, padding };
}

export function checkSize(fn: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new CourseError(`${fn}: ${what} must be a whole number ≥ 1, got ${v}`, `pass a positive integer ${what}`);
}

/** x must be [n, h, w, c] */
export function checkImages(fn: string, x: tf.Tensor): void {
  if (x.rank !== 4) {
    throw new CourseError(`${fn}: x has shape [${x.shape.join(',')}], expected images [n, h, w, c]`, 'reshape a single image to [1, h, w, c] and a flat batch [n, 784] to [n, 28, 28, 1]');
  }
}

/** x [n,h,w,cin] and kernel [k,k,cin,cout] must fit together (square kernel, same channels) */
export function checkConvArgs(fn: string, x: tf.Tensor, kernel: tf.Tensor): void {
  checkImages(fn, x);
  const [kh, kw, cin] = kernel.shape;
  if (kernel.rank !== 4 || kh !== kw) {
    throw new CourseError(`${fn}: kernel has shape [${kernel.shape.join(',')}], expected a square kernel [k, k, cin, cout]`, 'build the kernel as [k, k, inputChannels, filters]');
  }
  if (cin !== x.shape[3]) {
    throw new CourseError(`${fn}: kernel expects ${cin} input channels but x has ${x.shape[3]}`, "the kernel's third axis must equal x's last axis");
  }
}

/** a layer list for countParams / receptiveField */
export function checkLayers(fn: string, layers: readonly LayerSpec[]): void {
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new CourseError(`${fn}: layers must be a non-empty list`, "pass e.g. [{ type: 'conv', filters: 8, kernel: 3 }, { type: 'pool', size: 2 }]");
  }
  layers.forEach((l, i) => {
    const known = ['conv', 'pool', 'flatten', 'dense'];
    if (!l || !known.includes(l.type)) {
      throw new CourseError(`${fn}: layer ${i} has type ${String(l?.type)}`, `use one of ${known.join(', ')}`);
    }
  });
}

export function checkCnnSpec(fn: string, spec: CnnSpec): void {
  if (!Array.isArray(spec.filters) || spec.filters.length !== 2 || !spec.filters.every((f) => Number.isInteger(f) && f > 0)) {
    throw new CourseError(`${fn}: filters must be two positive whole numbers, got [${String(spec.filters)}]`, 'pass e.g. filters: [8, 16]');
  }
  if (!Number.isInteger(spec.kernel) || spec.kernel < 1 || spec.kernel % 2 === 0) {
    throw new CourseError(`${fn}: kernel must be an odd whole number, got ${spec.kernel}`, 'pass kernel: 3 or 5');
  }
}
