/**
 * Helpers for the generic benchmark cases (files starting with "_" are not cases).
 * Inputs are seeded random tensors: a benchmark times the arithmetic, not the data.
 */
import * as tf from '@tensorflow/tfjs';
import type { StepResult } from '../../lib/backend/graph/trace.js';

/** The batch size the course's numbers are quoted at. */
export const BATCH = 64;

/**
 * The same training step as a synchronous function of tensors, for the `node-graph` column
 * (lib/backend/graph compileStep): `fn(...args())` must do what `step()` does, returning the
 * loss(es) (or, with `take`, the loss and the state the next step starts from); `release` disposes
 * what `args()` made fresh (omit it when args() returns kept tensors).
 */
export interface GraphStep {
  fn: (...args: tf.Tensor[]) => StepResult;
  args(): tf.Tensor[];
  release?(args: tf.Tensor[]): void;
  /**
   * Takes the step's result tensors once they are read, for a step whose results feed the next
   * args() (01's new parameters): it keeps those and disposes the rest. Without it the run
   * disposes every result.
   */
  take?(results: tf.Tensor[]): void;
  /**
   * For a step that compiles its own tensor part (06's LabMlp.compile): the run calls `fn`
   * unwrapped and reads mode, reason and node count from this step.
   */
  compiled?(): { mode: string; reason: string | null; opCount: number } | null;
}

export interface BenchCase {
  name: string;
  /** the exercise this step belongs to, if any */
  exercise?: string;
  /** builds models and data; `step` runs one training step and waits for its result */
  setup(): Promise<{ step(): Promise<void> | void; dispose(): void; graph?: GraphStep }>;
}

/**
 * A compiled Keras-style model trained with trainOnBatch on one fixed, seeded batch. Its graph
 * step is what trainOnBatch computes for these models (no regularisers): minimize the mean of
 * the compiled loss with the compiled optimiser.
 */
export function trainOnBatchCase(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor) {
  // A Sequential keeps its compiled loss and optimiser on its inner LayersModel.
  const compiled = (model as tf.LayersModel & { model?: tf.LayersModel }).model ?? model;
  const lossFn = compiled.lossFunctions[0]!;
  const optimizer = compiled.optimizer;
  // Like trainOnBatch: only the trainable weights (minimize's default, every variable created
  // trainable, would also train layers frozen with `layer.trainable = false`).
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    graph: {
      fn: (xb: tf.Tensor, yb: tf.Tensor) =>
        optimizer.minimize(() => tf.mean(lossFn(yb, model.apply(xb, { training: true }) as tf.Tensor)) as tf.Scalar, true, trainable),
      args: () => [x, y],
    } satisfies GraphStep,
    async step(): Promise<void> {
      await model.trainOnBatch(x, y); // resolves after the loss is read: the step really ran
    },
    dispose(): void {
      tf.dispose([x, y]);
      model.dispose();
    },
  };
}

/** One-hot character windows [BATCH, len, vocab] and next-char targets [BATCH, vocab]. */
export function charBatch(seqLen: number, vocab: number, seed: number): { x: tf.Tensor3D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const ids = tf.randomUniform([BATCH, seqLen + 1], 0, vocab, 'int32', seed) as tf.Tensor2D;
    const x = tf.oneHot(ids.slice([0, 0], [BATCH, seqLen]), vocab).toFloat() as tf.Tensor3D;
    const y = tf.oneHot(ids.slice([0, seqLen], [BATCH, 1]).reshape([BATCH]) as tf.Tensor1D, vocab).toFloat() as tf.Tensor2D;
    return { x, y };
  });
}

export const glorot = (seed: number): ReturnType<typeof tf.initializers.glorotUniform> =>
  tf.initializers.glorotUniform({ seed });
