/**
 * Training kernels for the JS fallbacks, registered by initBackend() right after the backend is
 * activated. The native backend (tensorflow) needs none.
 *
 * - wasm: kernels it lacks for training (Conv2DBackpropFilter, UnsortedSegmentSum) and a faster
 *   Conv2DBackpropInput (wasm.ts).
 * - cpu: a cache-friendly Conv2DBackpropFilter instead of the naive 7-deep loop (cpu.ts).
 * - webgpu: int32 Transpose of rank ≥ 3, which tfjs 4.22 computes as zeros (webgpu.ts).
 *
 * Kernels are registered per backend name, and registering is cheap and idempotent, so both JS
 * backends get theirs whenever they are loaded: code that later switches with
 * `tf.setBackend('cpu' | 'wasm')` (tests comparing backends) still trains at full speed.
 */
import * as tf from '@tensorflow/tfjs';
import { registerWasmKernels } from './wasm.js';
import { registerCpuKernels } from './cpu.js';
import { registerWebgpuKernels } from './webgpu.js';

export { originalKernel, installedKernels, restoreOriginalKernel } from './registry.js';

export function registerFallbackKernels(backendName: string): void {
  registerCpuKernels();
  // wasm's kernels exist once @tensorflow/tfjs-backend-wasm has been imported
  if (backendName === 'wasm' || tf.getKernel('Conv2D', 'wasm')) registerWasmKernels();
  // webgpu: a broken int32 Transpose in tfjs-backend-webgpu 4.22 (webgpu.ts)
  if (backendName === 'webgpu') registerWebgpuKernels();
}
