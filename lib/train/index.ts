/** Training helpers: see docs/ARCHITECTURE.md ("lib/train"). */
export { trainLoop, fitModel, hasCheckpoint, type History, type Logs, type LoopOptions, type LoopResult, type FitOptions, type CheckpointSpec } from './loop.js';
export { checkFinite, countLeak, leakDetails } from './guard.js';
export { saveModel, loadModel } from './checkpoint.js';
export { Progress, formatSeconds } from './progress.js';
