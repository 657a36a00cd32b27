/**
 * Kernel fixes for tfjs-backend-webgpu 4.22, registered by initBackend when webgpu is chosen.
 *
 * Transpose of an int32 (or bool) tensor of rank ≥ 3 that lives on the GPU: the generic
 * TransposeProgram's WGSL passes an i32 to an f32 setter, Dawn rejects the shader ("type mismatch
 * for argument 2 in call to 'setOutputAtIndex'") and the result is all zeros — silently, apart
 * from validation messages on stderr. Hit by the bench's gru-char/lstm-char cases (character ids
 * [batch, time] turned time-major). Fixed by moving such a tensor on the CPU, as tfjs itself does for
 * small ones (its "CPU forward"): one synchronous read, an index permutation, one upload. (A
 * detour through float32 does not work: webgpu's int32→float32 Cast only relabels the buffer.)
 * COURSE_WEBGPU_KERNEL_FIXES=0 leaves tfjs's kernel alone (tests).
 */
import * as tf from '@tensorflow/tfjs';
import { installKernel, originalKernel } from './registry.js';

type Info = tf.TensorInfo;
interface WebgpuLike {
  readSync(dataId: object): tf.backend_util.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): Info;
}

/** x (row-major, `shape`) with its axes permuted by `perm`. */
export function permuteAxes(values: Int32Array | Uint8Array | Float32Array, shape: number[], perm: number[]): typeof values {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = tf.util.computeStrides(shape);
  const outStrides = tf.util.computeStrides(outShape);
  const out = new (values.constructor as Int32ArrayConstructor)(values.length) as typeof values;
  const rank = shape.length;
  for (let i = 0; i < values.length; i++) {
    let rest = i;
    let from = 0;
    for (let d = 0; d < rank; d++) {
      const coord = d < rank - 1 ? Math.floor(rest / outStrides[d]!) : rest;
      if (d < rank - 1) rest -= coord * outStrides[d]!;
      from += coord * (perm[d]! < rank - 1 ? inStrides[perm[d]!]! : 1);
    }
    out[i] = values[from]!;
  }
  return out;
}

export function registerWebgpuKernels(): void {
  if (process.env.COURSE_WEBGPU_KERNEL_FIXES === '0') return;
  const transpose = originalKernel('Transpose', 'webgpu');
  if (!transpose) return;
  installKernel('Transpose', 'webgpu', (args) => {
    const x = args.inputs.x as Info;
    const perm = (args.attrs as { perm: number[] }).perm;
    if (x.dtype === 'float32' || x.shape.length < 3) return transpose.kernelFunc(args);
    const backend = args.backend as unknown as WebgpuLike;
    const values = backend.readSync(x.dataId) as Int32Array | Uint8Array;
    return backend.makeTensorInfo(perm.map((p) => x.shape[p]!), x.dtype, permuteAxes(values, x.shape, perm));
  });
}
