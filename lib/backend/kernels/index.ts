/**
 * Training kernels for the JS fallbacks, registered by initBackend() right after the backend is
 * activated. The native backends (tensorflow) need none.
 *
 * - wasm: kernels it lacks for training (Conv2DBackpropFilter, UnsortedSegmentSum) and a faster
 *   Conv2DBackpropInput (wasm.ts).
 * - cpu: a cache-friendly Conv2DBackpropFilter instead of the naive 7-deep loop (cpu.ts).
 */
import { registerWasmKernels } from './wasm.js';
import { registerCpuKernels } from './cpu.js';

export { originalKernel, installedKernels, restoreOriginalKernel } from './registry.js';

export function registerFallbackKernels(backendName: string): void {
  if (backendName === 'wasm') registerWasmKernels();
  else if (backendName === 'cpu') registerCpuKernels();
}
