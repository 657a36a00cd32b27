// Loaded with `--import` into every test worker of the warm checker (lib/cli/warm.ts), while the
// worker waits for its next run: tfjs and tfjs-node (2–3 s of native start-up) are then already
// in the worker's module cache when a save arrives. The worker is still a fresh process per run
// (vitest recycles it), so no tensor, variable or module state of one run reaches the next.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const wanted = process.env.TFJS_BACKEND;
if (!wanted || wanted === 'node') {
  try {
    require('../backend/node-compat.cjs').applyNodeCompat();
    require('@tensorflow/tfjs');
    require('@tensorflow/tfjs-node');
  } catch {
    // not loadable here: initBackend (test/support/setup.ts) says why and falls back
  }
}
