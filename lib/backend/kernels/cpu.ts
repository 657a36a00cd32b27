/**
 * A fast Conv2DBackpropFilter for the pure-JS cpu backend.
 *
 * tfjs-backend-cpu computes each filter weight as its own dot product over (batch, y, x), reading
 * x and dy through TensorBuffer.get with a stride of a whole channel row: a small CNN's training
 * step spends ~19 s there. Here every output position adds the outer product
 * x-patch-row[ci] ⊗ dy-row[co] into dW, so both inner loops walk contiguous memory.
 */
import * as tf from '@tensorflow/tfjs';
import { installKernel, originalKernel } from './registry.js';

type Info = tf.TensorInfo;

/** The part of MathBackendCPU this kernel uses. */
interface CpuBackend {
  data: { get(dataId: tf.DataId): { values: ArrayLike<number> } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): Info;
}

const BACKEND = 'cpu';

interface FilterAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** dW[i,j,c,o] = Σ_{b,y,x} X[b, y·sh + i − pt, x·sw + j − pl, c] · dy[b,y,x,o] (channels last). */
export function conv2DBackpropFilterCpu(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const attrs = args.attrs as unknown as FilterAttrs;
  if (attrs.dataFormat === 'NCHW') {
    const orig = originalKernel('Conv2DBackpropFilter', BACKEND);
    if (!orig) throw new Error('cpu Conv2DBackpropFilter: original kernel missing');
    return orig.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
  }
  const backend = args.backend as CpuBackend;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { batchSize, inHeight, inWidth, inChannels: ci, outChannels: co, outHeight, outWidth } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const xs = backend.data.get(x.dataId).values;
  const dys = backend.data.get(dy.dataId).values;
  // Accumulate in float64: dW sums batch·outH·outW products and stays small enough to cache.
  const acc = new Float64Array(fh * fw * ci * co);
  const dyRow = new Float64Array(co);
  for (let b = 0; b < batchSize; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyOff = ((b * outHeight + oy) * outWidth + ox) * co;
        let any = false;
        for (let o = 0; o < co; o++) {
          const v = dys[dyOff + o]!;
          dyRow[o] = v;
          if (v !== 0) any = true;
        }
        if (!any) continue; // e.g. behind a ReLU or max-pool: nothing to add
        for (let i = 0; i < fh; i++) {
          const xr = oy * sh + i - top;
          if (xr < 0 || xr >= inHeight) continue;
          for (let j = 0; j < fw; j++) {
            const xc = ox * sw + j - left;
            if (xc < 0 || xc >= inWidth) continue;
            const xOff = ((b * inHeight + xr) * inWidth + xc) * ci;
            const wOff = (i * fw + j) * ci * co;
            for (let c = 0; c < ci; c++) {
              const xv = xs[xOff + c]!;
              if (xv === 0) continue;
              const w0 = wOff + c * co;
              for (let o = 0; o < co; o++) acc[w0 + o] += xv * dyRow[o]!;
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo([fh, fw, ci, co], 'float32', Float32Array.from(acc));
}

export function registerCpuKernels(): void {
  installKernel('Conv2DBackpropFilter', BACKEND, conv2DBackpropFilterCpu as tf.KernelFunc);
}
