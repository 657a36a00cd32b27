/**
 * The training loop every exercise uses: epochs × steps with progress, per-epoch history,
 * NaN detection, early stopping, and checkpoints that can be resumed. Ctrl-C saves a
 * checkpoint before exiting, so a long run is never lost.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { makeRng } from '../random.js';
import { checkFinite } from './guard.js';
import { compileInScope } from './graph-scope.js';
import { Progress } from './progress.js';
import { openCurve, standaloneCurve } from '../report/context.js';
import type { CurveData } from '../report/step-log.js';
import {
  modelArrays,
  optimizerArrays,
  readArrays,
  restoreModelArrays,
  restoreOptimizerArrays,
  writeArrays,
} from './checkpoint.js';

export type History = Record<string, number[]>;
/** one step's or one epoch's named numbers, e.g. { loss, val_acc } */
export type Logs = Record<string, number>;

export interface CheckpointSpec {
  dir: string;
  models?: Record<string, tf.LayersModel>;
  optimizers?: Record<string, tf.Optimizer>;
  /** extra JSON-serialisable state to save (e.g. a sample schedule) */
  state?: () => unknown;
  restore?: (state: unknown) => void;
}

export interface LoopOptions {
  label: string;
  epochs: number;
  stepsPerEpoch: number;
  step(epoch: number, step: number): Promise<Logs> | Logs;
  endEpoch?(epoch: number, means: Logs): Promise<Logs | void> | Logs | void;
  checkpoint?: CheckpointSpec;
  resume?: boolean;
  earlyStopping?: { monitor: string; patience: number; mode?: 'min' | 'max' };
  quiet?: boolean;
  /** the curve's name in the run's step log (metrics.json, plots, live page); default `label` */
  curve?: string;
}

export interface LoopResult {
  history: History;
  epochsRun: number;
  stoppedEarly: boolean;
  resumedFrom: number | null;
  /** every step's logs and every epoch's (lib/report/step-log.ts), also in the run's step log */
  curve: CurveData;
}

interface SavedState {
  version: 1;
  label: string;
  epochsDone: number;
  history: History;
  best: number | null;
  sinceBest: number;
  user: unknown;
  savedAt: string;
  /** the per-step curve up to epochsDone (absent in checkpoints from before per-step logging) */
  curve?: CurveData;
}

async function saveCheckpoint(spec: CheckpointSpec, state: Omit<SavedState, 'version' | 'user' | 'savedAt'>): Promise<void> {
  mkdirSync(spec.dir, { recursive: true });
  for (const [name, model] of Object.entries(spec.models ?? {})) writeArrays(path.join(spec.dir, `model-${name}`), modelArrays(model));
  for (const [name, opt] of Object.entries(spec.optimizers ?? {}))
    writeArrays(path.join(spec.dir, `optimizer-${name}`), await optimizerArrays(opt));
  const full: SavedState = { version: 1, ...state, user: spec.state?.() ?? null, savedAt: new Date().toISOString() };
  // state.json last: its presence marks a complete checkpoint
  writeFileSync(path.join(spec.dir, 'state.json.tmp'), JSON.stringify(full));
  const { renameSync } = await import('node:fs');
  renameSync(path.join(spec.dir, 'state.json.tmp'), path.join(spec.dir, 'state.json'));
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(path.join(dir, 'state.json'));
}

async function loadCheckpoint(spec: CheckpointSpec): Promise<SavedState> {
  const state = JSON.parse(readFileSync(path.join(spec.dir, 'state.json'), 'utf8')) as SavedState;
  for (const [name, model] of Object.entries(spec.models ?? {}))
    restoreModelArrays(model, readArrays(path.join(spec.dir, `model-${name}`)), name);
  for (const [name, opt] of Object.entries(spec.optimizers ?? {})) {
    const file = path.join(spec.dir, `optimizer-${name}`);
    if (existsSync(`${file}.json`)) await restoreOptimizerArrays(opt, readArrays(file));
  }
  spec.restore?.(state.user);
  return state;
}

export async function trainLoop(o: LoopOptions): Promise<LoopResult> {
  let history: History = {};
  let first = 0;
  let resumedFrom: number | null = null;
  let best: number | null = null;
  let sinceBest = 0;
  let resumedState: SavedState | null = null;
  if (o.checkpoint && o.resume && hasCheckpoint(o.checkpoint.dir)) {
    const s = await loadCheckpoint(o.checkpoint);
    resumedState = s;
    history = s.history;
    first = s.epochsDone;
    best = s.best;
    sinceBest = s.sinceBest;
    resumedFrom = first;
  }
  // every step into the run's step log (a fresh curve per loop), or into a record of our own
  const curveName = o.curve ?? o.label;
  const curve = openCurve(curveName) ?? standaloneCurve(curveName);
  if (resumedState) {
    // a checkpoint from before per-step logging: its epochs count, with no steps to show
    curve.restore(resumedState.curve ?? { steps: {}, epochSteps: Array<number>(first).fill(0), epochs: {} });
  }
  /** the curve as saved in a checkpoint: whole epochs only (an interrupted epoch restarts) */
  const savedCurve = (): CurveData => {
    const steps = curve.data.epochSteps.reduce((a, b) => a + b, 0);
    const cut = (s: Record<string, number[]>, n: number) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.slice(0, n)]));
    return { steps: cut(curve.data.steps, steps), epochSteps: [...curve.data.epochSteps], epochs: cut(curve.data.epochs, curve.data.epochSteps.length) };
  };
  const progress = new Progress(o.label, o.epochs, o.stepsPerEpoch, { quiet: o.quiet, firstEpoch: first });
  if (resumedFrom !== null) progress.note(`resumed from checkpoint after epoch ${resumedFrom} (${o.checkpoint!.dir})`);

  // Ctrl-C: finish the current step, save, and exit with a resume hint.
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress.note('interrupt received: saving a checkpoint after this step (Ctrl-C again to quit now)');
  };
  if (o.checkpoint) process.on('SIGINT', onSigint);
  const mode = o.earlyStopping?.mode ?? 'min';
  let stoppedEarly = false;
  let epoch = first;
  try {
    for (; epoch < o.epochs; epoch++) {
      const sums: Logs = {};
      for (let step = 0; step < o.stepsPerEpoch; step++) {
        const logs = await o.step(epoch, step);
        // One turn of the event loop per step (microseconds): a synchronous step never gives one,
        // and Ctrl-C is handled there; on webgpu Node frees the last step's GPU objects only then
        // (lib/backend/dawn-reuse.ts: without it 03's run crashed lavapipe after ~65k mappings).
        await new Promise((resolve) => setImmediate(resolve));
        checkFinite(logs, `epoch ${epoch + 1}, step ${step + 1}`);
        curve.step(logs);
        for (const [k, v] of Object.entries(logs)) sums[k] = (sums[k] ?? 0) + v;
        progress.step(epoch, step, logs);
        if (interrupted) {
          if (o.checkpoint) {
            await saveCheckpoint(o.checkpoint, { label: o.label, epochsDone: epoch, history, best, sinceBest, curve: savedCurve() });
          }
          throw new CourseError(
            `training stopped by Ctrl-C in epoch ${epoch + 1}; weights saved to ${o.checkpoint?.dir}`,
            'run the same command with --resume to continue (the interrupted epoch restarts)',
          );
        }
      }
      const means: Logs = {};
      for (const [k, v] of Object.entries(sums)) means[k] = v / o.stepsPerEpoch;
      const extra = (await o.endEpoch?.(epoch, means)) ?? {};
      const logs = { ...means, ...extra };
      checkFinite(logs, `the end of epoch ${epoch + 1}`);
      for (const [k, v] of Object.entries(logs)) (history[k] ??= []).push(v);
      curve.endEpoch(logs);
      progress.epoch(epoch, logs);
      if (o.earlyStopping) {
        const v = logs[o.earlyStopping.monitor];
        if (v === undefined) {
          throw new CourseError(
            `early stopping monitors "${o.earlyStopping.monitor}" but the epoch logs only have ${Object.keys(logs).join(', ')}`,
            'monitor one of the logged names',
          );
        }
        const better = best === null || (mode === 'min' ? v < best : v > best);
        if (better) {
          best = v;
          sinceBest = 0;
        } else sinceBest++;
      }
      if (o.checkpoint) await saveCheckpoint(o.checkpoint, { label: o.label, epochsDone: epoch + 1, history, best, sinceBest, curve: savedCurve() });
      if (o.earlyStopping && sinceBest >= o.earlyStopping.patience) {
        stoppedEarly = true;
        progress.note(`early stopping: ${o.earlyStopping.monitor} has not improved for ${sinceBest} epochs`);
        epoch++;
        break;
      }
    }
  } finally {
    if (o.checkpoint) process.off('SIGINT', onSigint);
  }
  return { history, epochsRun: epoch - first, stoppedEarly, resumedFrom, curve: curve.data };
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  validationData?: [tf.Tensor, tf.Tensor];
  checkpoint?: CheckpointSpec;
  resume?: boolean;
  earlyStopping?: LoopOptions['earlyStopping'];
  quiet?: boolean;
  label?: string;
  /** the curve's name in the run's step log; default the label */
  curve?: string;
}

/**
 * `model.fit` through trainLoop: a seeded shuffle per epoch (so a resumed run sees the same
 * batches), trainOnBatch per step, and validation at the end of each epoch. The model must be
 * compiled; its optimizer is checkpointed with it.
 *
 * Inside withGraphSteps (lib/train/graph-scope.ts: the full runs) each step is trainOnBatch with
 * its train function (the model's own makeTrainFunction: loss, regularisers, metrics, the
 * optimizer's minimize over the weights compile collected) compiled as one TensorFlow graph on
 * tfjs-node, for this call only; a last, smaller batch and other backends run eagerly.
 */
export async function fitModel(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, o: FitOptions): Promise<LoopResult> {
  const n = x.shape[0];
  if (y.shape[0] !== n) {
    throw new CourseError(`fitModel got ${n} inputs but ${y.shape[0]} targets`, 'pass one target per input example');
  }
  if (!model.optimizer) throw new CourseError('fitModel needs a compiled model', 'call model.compile({optimizer, loss, metrics}) first');
  const steps = Math.ceil(n / o.batchSize);
  const metricNames = model.metricsNames; // ['loss', 'acc', …]
  let order: Int32Array = new Int32Array(0);
  const checkpoint = o.checkpoint
    ? { ...o.checkpoint, models: { model, ...o.checkpoint.models }, optimizers: { model: model.optimizer, ...o.checkpoint.optimizers } }
    : undefined;
  // A Sequential keeps its compiled state (loss, metrics, optimizer) on its inner LayersModel.
  const compiledModel = ((model as tf.LayersModel & { model?: tf.LayersModel }).model ?? model) as unknown as TrainOnBatchParts;
  const trainStep = compileInScope('fitModel', (...data: tf.Tensor[]) => compiledModel.makeTrainFunction()(data));
  try {
    return await trainLoop({
      label: o.label ?? model.name,
      epochs: o.epochs,
      stepsPerEpoch: steps,
      checkpoint,
      resume: o.resume,
      earlyStopping: o.earlyStopping,
      quiet: o.quiet,
      curve: o.curve,
      step: async (epoch, step) => {
        if (step === 0) {
          const rng = makeRng(o.seed * 7919 + epoch);
          order = Int32Array.from({ length: n }, (_, i) => i);
          for (let i = n - 1; i > 0; i--) {
            const j = rng.int(i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
        }
        const idx = tf.tensor1d(order.subarray(step * o.batchSize, Math.min(n, (step + 1) * o.batchSize)), 'int32');
        const xb = tf.gather(x, idx);
        const yb = tf.gather(y, idx);
        try {
          const out = trainStep ? await compiledTrainOnBatch(compiledModel, trainStep, xb, yb) : await model.trainOnBatch(xb, yb);
          const values = Array.isArray(out) ? out : [out];
          return Object.fromEntries(values.map((v, i) => [metricNames[i] ?? `m${i}`, v]));
        } finally {
          tf.dispose([idx, xb, yb]);
        }
      },
      endEpoch: async () => {
        if (!o.validationData) return;
        const res = model.evaluate(o.validationData[0], o.validationData[1], { batchSize: 256 });
        const scalars = Array.isArray(res) ? res : [res];
        const vals = await Promise.all(scalars.map(async (s) => (await s.data())[0]!));
        tf.dispose(scalars);
        return Object.fromEntries(vals.map((v, i) => [`val_${metricNames[i] ?? `m${i}`}`, v]));
      },
    });
  } finally {
    trainStep?.dispose();
  }
}

/** The (protected) parts of a tfjs LayersModel that its trainOnBatch is made of. */
interface TrainOnBatchParts {
  standardizeUserData(x: tf.Tensor, y: tf.Tensor): Promise<[tf.Tensor[], tf.Tensor[], tf.Tensor[]]>;
  makeTrainFunction(): (data: tf.Tensor[]) => tf.Scalar[];
}

/**
 * What tfjs-layers 4's `LayersModel.trainOnBatch(x, y)` does, with its train function call
 * replaced by `step` (the same function, compiled): standardise the data, run the step, read
 * every loss/metric value, dispose what was made.
 */
async function compiledTrainOnBatch(m: TrainOnBatchParts, step: (...data: tf.Tensor[]) => tf.Tensor[], x: tf.Tensor, y: tf.Tensor): Promise<number[]> {
  const [inputs, targets] = await m.standardizeUserData(x, y);
  const outs = step(...inputs, ...targets);
  const values: number[] = [];
  for (const t of outs) values.push((await t.data())[0]!);
  tf.dispose(outs);
  tf.dispose([...inputs, ...targets].filter((t) => t !== x && t !== y));
  return values;
}
