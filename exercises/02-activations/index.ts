/** 02-activations: activation functions, a fair comparison, and gradient diagnostics. */
export * from './activations.js';
export * from './compare.js';
export * from './diagnostics.js';
export * from './mlp.js';
