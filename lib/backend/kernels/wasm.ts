/**
 * Training kernels for the wasm backend (tfjs-backend-wasm 4.22.0).
 *
 * - `Conv2DBackpropFilter` (conv weight gradient) is missing upstream (tfjs#8474). It is a
 *   convolution itself: correlate x (as [ci,H,W,b]) with dy (as the filter [oh,ow,b,co]) at
 *   dilation = forward stride; the result is dW as [ci,fh,fw,co].
 * - `UnsortedSegmentSum` (the gradient of gather, i.e. of an Embedding layer) is missing
 *   (tfjs#8082): a plain scatter-add loop over the wasm heap.
 * - `Conv2DBackpropInput` exists but is a naive loop; a Conv2D (XNNPACK) over the zero-upsampled
 *   dy with the flipped, transposed filter is much faster once there are a few channels.
 *
 * Everything is built from the backend's own kernels, so no new wasm code is needed.
 */
import * as tf from '@tensorflow/tfjs';
import { installKernel, originalKernel } from './registry.js';

type Info = tf.TensorInfo;
type Pads = [[number, number], [number, number], [number, number], [number, number]];

/** The part of BackendWasm these kernels use. */
interface WasmBackend {
  readSync(dataId: tf.DataId): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(info: Info): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId): boolean;
}

const BACKEND = 'wasm';

/** Run one of the wasm backend's own kernels directly (no autograd, no engine bookkeeping). */
function run(backend: WasmBackend, kernelName: string, inputs: Record<string, Info>, attrs: object = {}): Info {
  const kernel = tf.getKernel(kernelName, BACKEND);
  if (!kernel) throw new Error(`wasm kernel ${kernelName} is not registered`);
  return kernel.kernelFunc({
    inputs,
    backend: backend as unknown as tf.KernelBackend,
    attrs: attrs as tf.NamedAttrMap,
  }) as Info;
}

/** Frees intermediate results of `run`. */
function free(backend: WasmBackend, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

function transpose(backend: WasmBackend, x: Info, perm: number[]): Info {
  return run(backend, 'Transpose', { x }, { perm });
}

/** Slice a 4-D tensor along axes 1 and 2 (rows/cols), keeping the other axes whole. */
function sliceRowsCols(backend: WasmBackend, x: Info, r0: number, rows: number, c0: number, cols: number): Info {
  const [n, , , c] = x.shape as [number, number, number, number];
  return run(backend, 'Slice', { x }, { begin: [0, r0, c0, 0], size: [n, rows, cols, c] });
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | Pads;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function convInfo(xShape: number[], filterShape: number[], attrs: ConvAttrs): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') {
    throw new Error('course kernels: Conv2D gradients on wasm support only channelsLast (NHWC)');
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * dW[i,j,c,o] = Σ_{b,y,x} X[b, y·sh + i − pt, x·sw + j − pl, c] · dy[b,y,x,o]
 * which is Conv2D(input = Xᵀ [c,H,W,b], filter = dyᵀ [y,x,b,o], dilation = (sh,sw), pads pt/pl).
 */
export function conv2DBackpropFilterWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs as { x: Info; dy: Info };
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const [, inH, inW] = x.shape as [number, number, number, number];
  // Rows of (padded) x that the dilated dy-filter touches for output rows 0..fh-1.
  const spanH = sh * (info.outHeight - 1) + 1;
  const spanW = sw * (info.outWidth - 1) + 1;
  let bottom = fh - 1 + spanH - inH - top;
  let right = fw - 1 + spanW - inW - left;
  const temps: Info[] = [];
  let xin = x;
  if (bottom < 0 || right < 0) {
    // Trailing rows/cols that no output position reads ('valid' with a remainder): drop them.
    xin = sliceRowsCols(backend, x, 0, inH + Math.min(bottom, 0), 0, inW + Math.min(right, 0));
    temps.push(xin);
    bottom = Math.max(bottom, 0);
    right = Math.max(right, 0);
  }
  const xT = transpose(backend, xin, [3, 1, 2, 0]); // [ci, H, W, b]
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [oh, ow, b, co]
  temps.push(xT, dyT);
  const pad: Pads = [[0, 0], [top, bottom], [left, right], [0, 0]];
  const dW = run(backend, 'Conv2D', { x: xT, filter: dyT }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [sh, sw] });
  temps.push(dW);
  const out = transpose(backend, dW, [1, 2, 0, 3]); // [fh, fw, ci, co]
  free(backend, ...temps);
  return out;
}

/**
 * dX[b,y,x,c] = Σ_{i,j,o} U[b, y + pt − i, x + pl − j, o] · W[i,j,c,o], U = dy upsampled by the
 * stride with zeros — a plain correlation of U with the flipped filter as [fh,fw,co,ci].
 * Returns null when the padding makes the trick awkward (caller falls back to the original).
 */
export function conv2DBackpropInputWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info | null {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs as { dy: Info; filter: Info };
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const [b, inH, inW, ci] = attrs.inputShape as [number, number, number, number];
  const [, oh, ow, co] = dy.shape as [number, number, number, number];
  const temps: Info[] = [];
  let up = dy;
  if (sh > 1 || sw > 1) {
    // [b,oh,1,ow,1,co] → pad the unit axes to the stride → [b, oh·sh, ow·sw, co]
    const r = run(backend, 'Reshape', { x: dy }, { shape: [b, oh, 1, ow, 1, co] });
    const p = run(backend, 'PadV2', { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
    up = run(backend, 'Reshape', { x: p }, { shape: [b, oh * sh, ow * sw, co] });
    temps.push(r, p, up);
  }
  const upH = up.shape[1]!;
  const upW = up.shape[2]!;
  let padTop = fh - 1 - top;
  let padLeft = fw - 1 - left;
  let padBottom = inH - 1 + top - (upH - 1);
  let padRight = inW - 1 + left - (upW - 1);
  if (padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0) {
    // Rows of U that no dX row reads: crop them so every pad is ≥ 0.
    const r0 = Math.max(0, -padTop);
    const c0 = Math.max(0, -padLeft);
    const rows = upH - r0 - Math.max(0, -padBottom);
    const cols = upW - c0 - Math.max(0, -padRight);
    if (rows <= 0 || cols <= 0) {
      free(backend, ...temps);
      return null;
    }
    const cropped = sliceRowsCols(backend, up, r0, rows, c0, cols);
    temps.push(cropped);
    up = cropped;
    padTop = Math.max(padTop, 0);
    padLeft = Math.max(padLeft, 0);
    padBottom = Math.max(padBottom, 0);
    padRight = Math.max(padRight, 0);
  }
  const flipped = run(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
  const wT = transpose(backend, flipped, [0, 1, 3, 2]); // [fh, fw, co, ci]
  temps.push(flipped, wT);
  const pad: Pads = [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]];
  const dx = run(backend, 'Conv2D', { x: up, filter: wT }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] });
  free(backend, ...temps);
  if (dx.shape[1] !== inH || dx.shape[2] !== inW || dx.shape[3] !== ci) {
    free(backend, dx);
    return null;
  }
  return dx;
}

/**
 * When the Conv2D route beats wasm's own Conv2DBackpropInput (CPU time per call, batch 64,
 * measured on this project's 2-core machine): at stride 1 it is never slower (1.0–10×); with a
 * stride it does extra work on the zeros of the upsampled dy, and wins only from about 4 input
 * channels (ci=1: 12 vs 41 ms; ci=3: 11 vs 13 ms; ci=4: 78 vs 62 ms; ci=64: 381 vs 175 ms).
 */
export function useConvRouteForBackpropInput(inChannels: number, stride: [number, number]): boolean {
  return (stride[0] === 1 && stride[1] === 1) || inChannels >= 4;
}

function conv2DBackpropInputDispatch(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const { filter } = args.inputs as { filter: Info };
  const strides = (args.attrs as unknown as ConvAttrs).strides;
  const stride: [number, number] = typeof strides === 'number' ? [strides, strides] : strides;
  if (useConvRouteForBackpropInput(filter.shape[2]!, stride)) {
    const fast = conv2DBackpropInputWasm(args);
    if (fast) return fast;
  }
  const orig = originalKernel('Conv2DBackpropInput', BACKEND);
  if (!orig) throw new Error('wasm Conv2DBackpropInput: original kernel missing');
  return orig.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as Info;
}

/** out[segmentIds[i], …] += x[i, …]; ids outside [0, numSegments) are dropped, as in TF. */
export function unsortedSegmentSumWasm(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): Info {
  const backend = args.backend as WasmBackend;
  const { x, segmentIds } = args.inputs as { x: Info; segmentIds: Info };
  const numSegments = (args.attrs as unknown as { numSegments: number }).numSegments;
  const idRank = segmentIds.shape.length;
  const inner = x.shape.slice(idRank).reduce((a, d) => a * d, 1);
  const outShape = [numSegments, ...x.shape.slice(idRank)];
  const xs = backend.readSync(x.dataId);
  const ids = backend.readSync(segmentIds.dataId);
  const out = backend.makeOutput(outShape, x.dtype);
  const o = backend.typedArrayFromHeap(out);
  o.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let k = 0; k < inner; k++) o[dst + k] += xs[src + k]!;
  }
  return out;
}

export function registerWasmKernels(): void {
  installKernel('Conv2DBackpropFilter', BACKEND, conv2DBackpropFilterWasm as tf.KernelFunc);
  installKernel('UnsortedSegmentSum', BACKEND, unsortedSegmentSumWasm as tf.KernelFunc);
  installKernel('Conv2DBackpropInput', BACKEND, conv2DBackpropInputDispatch as tf.KernelFunc);
}
