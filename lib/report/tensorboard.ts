/**
 * TensorBoard event files of a run's step log, for those who use TensorBoard: one TensorBoard
 * run per training loop (<out>/tensorboard/<curve>/), every step's values under their own name
 * (`loss`) and each epoch's under `epoch/<name>` (`epoch/val_loss`) at the step the epoch ended.
 * View them with `tensorboard --logdir reports/NN-name/tensorboard` (docs/ARCHITECTURE.md).
 * Written as the steps come in (a TensorBoard open during the run shows them), native backend
 * only: elsewhere nothing is written and `unavailable` says why.
 */
import path from 'node:path';
import { summaryWriter, tensorBoardUnavailable, type ScalarWriter } from '../backend/tensorboard.js';
import { slug } from './finish.js';
import type { StepLog } from './step-log.js';

export interface TensorBoardSink {
  dir: string;
  /** runs written so far (one per curve) */
  runs(): string[];
  close(): void;
}

export function attachTensorBoard(log: StepLog, dir: string): TensorBoardSink | { unavailable: string } {
  const why = tensorBoardUnavailable();
  if (why) return { unavailable: why };
  const writers = new Map<string, ScalarWriter>();
  const writer = (curve: string) => {
    let w = writers.get(curve);
    if (!w) {
      w = summaryWriter(path.join(dir, slug(curve)))!;
      writers.set(curve, w);
    }
    return w;
  };
  const stop = log.on((e) => {
    const w = writer(e.curve);
    if (e.kind === 'step') {
      for (const [k, v] of Object.entries(e.logs)) if (Number.isFinite(v)) w.scalar(k, v, e.step + 1);
    } else {
      for (const [k, v] of Object.entries(e.logs)) if (Number.isFinite(v)) w.scalar(`epoch/${k}`, v, e.step);
      w.flush();
    }
  });
  return {
    dir,
    runs: () => [...writers.keys()],
    close: () => {
      stop();
      for (const w of writers.values()) w.flush();
    },
  };
}
