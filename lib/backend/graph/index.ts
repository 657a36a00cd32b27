/** Run a training step as one TensorFlow graph on tfjs-node (see compile.ts). */
export { compileStep, type CompiledStep, type CompileOptions, type StepMode } from './compile.js';
export { countOps } from './binding.js';
