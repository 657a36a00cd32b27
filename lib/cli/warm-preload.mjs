// Loaded with `--import` into the warm checker's test worker (lib/cli/warm.ts) when it starts:
// tfjs and tfjs-node (2–3 s of native start-up) load while vitest is still setting up, and a
// worker replaced after a dirty run (warm-main.mjs) has them loaded again before the next save.
// The worker is kept across runs; test/support/warm-reset.ts and warm-guard.ts keep one run's
// modules and leftovers from the next.
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
