/**
 * TensorBoard event files through tfjs-node's summary writer (TensorFlow's own
 * CreateSummaryFileWriter / WriteScalarSummary ops): only on the native backends, where the
 * loaded binding has them. The rest of the project asks this module, not tfjs-node.
 */
import { createRequire } from 'node:module';
import { backendInfo } from './index.js';
import { NATIVE_PACKAGE } from './native.js';

const require = createRequire(import.meta.url);

export interface ScalarWriter {
  scalar(name: string, value: number, step: number): void;
  flush(): void;
}

interface NodeSummaryApi {
  node: { summaryFileWriter(logdir: string, maxQueue?: number, flushMillis?: number): ScalarWriter };
}

/** Why TensorBoard files cannot be written on this backend, or null when they can. */
export function tensorBoardUnavailable(): string | null {
  const b = backendInfo();
  if (!b) return 'no backend initialised';
  if (b.choice !== 'node' && b.choice !== 'gpu') return `the ${b.choice} backend has no summary writer (TensorBoard files need tfjs-node)`;
  return null;
}

/** A writer of TensorBoard scalars into `logdir` (one run there), or null off tfjs-node. */
export function summaryWriter(logdir: string): ScalarWriter | null {
  if (tensorBoardUnavailable()) return null;
  const pkg = backendInfo()!.choice === 'gpu' ? '@tensorflow/tfjs-node-gpu' : NATIVE_PACKAGE;
  const api = require(pkg) as NodeSummaryApi;
  // queue 100 scalars, flush at least every 10 s (and on every epoch, by the caller)
  return api.node.summaryFileWriter(logdir, 100, 10_000);
}
