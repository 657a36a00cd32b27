/**
 * Training kernels for the JS fallbacks (placeholder: filled in by the kernels work).
 */
export function registerFallbackKernels(_backendName: string): void {
  // registered per backend; see cpu.ts and wasm.ts
}
