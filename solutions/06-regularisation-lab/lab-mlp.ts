/**
 * The full run's MLP, built and trained ONLY with the target's functions for the lesson's parts:
 * initialisers, dropout, L2 penalty gradients, the optimiser update rules and the update/weight
 * ratio. Autodiff (tf.grads) supplies the data-loss gradient; everything after that is by hand.
 * Not graded: the tests train their own small nets.
 */
import * as tf from '@tensorflow/tfjs';
import { type CompileOptions, type CompiledStep, compileStep } from '../../lib/backend/graph/index.js';
import type { AdamState, MomentumState } from './index.js';

type Impl = typeof import('./index.js');

export type InitName = 'he' | 'xavier';
export type OptimizerName = 'sgd' | 'momentum' | 'adam';

export interface LabConfig {
  /** layer widths, input first, e.g. [784, 256, 256, 10] */
  sizes: number[];
  init: InitName;
  /** λ of the L2 penalty on the kernels (0 = off) */
  l2: number;
  /** dropout rate after each hidden ReLU (0 = off) */
  dropout: number;
  optimizer: OptimizerName;
  learningRate: number;
  seed: number;
}

interface Layer {
  W: tf.Tensor2D;
  b: tf.Tensor1D;
}
type OptState = MomentumState | AdamState | null;
type TensorPart = { loss: tf.Scalar; next: tf.Tensor[]; nextStates: OptState[] };

/** Plain-array form of the weights and optimiser state, for checkpoints. */
export interface LabSnapshot {
  layers: { W: number[][]; b: number[] }[];
  states: ({ velocity: number[] } | { m: number[]; v: number[]; t: number } | null)[];
}

export class LabMlp {
  layers: Layer[];
  /** one optimiser state per parameter tensor: [W1, b1, W2, b2, …] */
  private states: OptState[];
  /** step()'s tensor part as one TensorFlow graph (compile()), or null: eager */
  private compiled: CompiledStep<TensorPart> | null = null;

  constructor(
    private readonly impl: Impl,
    readonly config: LabConfig,
  ) {
    const { sizes, init, seed } = config;
    this.layers = sizes.slice(1).map((out, i) => {
      const shape: [number, number] = [sizes[i]!, out];
      const W = init === 'he' ? impl.heNormal(shape, seed * 101 + i) : impl.xavierUniform(shape, seed * 101 + i);
      return { W, b: tf.zeros([out]) as tf.Tensor1D };
    });
    this.states = this.flat().map((p) => this.initState(p));
  }

  private flat(): tf.Tensor[] {
    return this.layers.flatMap((l) => [l.W, l.b]);
  }

  private initState(p: tf.Tensor): OptState {
    if (this.config.optimizer === 'momentum') return this.impl.initMomentumState(p);
    if (this.config.optimizer === 'adam') return this.impl.initAdamState(p);
    return null;
  }

  /** Logits; dropout (seeded per layer from `seed`) only when training. */
  forward(x: tf.Tensor, params: tf.Tensor[], training: boolean, seed: number): tf.Tensor {
    let h = x;
    const n = params.length / 2;
    for (let i = 0; i < n; i++) {
      h = tf.add(tf.matMul(h, params[2 * i]!), params[2 * i + 1]!);
      if (i < n - 1) {
        h = tf.relu(h);
        if (this.config.dropout > 0) h = this.impl.dropout(h, this.config.dropout, seed * 31 + i, training);
      }
    }
    return h;
  }

  /**
   * Run step()'s tensor part (forward, gradients, penalty, optimiser update) as one TensorFlow
   * graph on tfjs-node (lib/backend/graph compileStep; its shadow pass re-runs the JavaScript each
   * step, so the dropout masks and Adam's step counter are this step's). For the full run and the
   * bench; other backends, or a step the trace can't capture, keep running eagerly.
   */
  compile(opts: CompileOptions = {}): CompiledStep<TensorPart> {
    this.compiled?.dispose();
    this.compiled = compileStep((x, y, ...params) => this.tensorPart(x as tf.Tensor2D, y as tf.Tensor2D, params, this.compiledSeed), {
      name: '06 LabMlp.step',
      ...opts,
    });
    return this.compiled;
  }

  /** the step seed the compiled step's JavaScript reads (it runs each call: shadow pass) */
  private compiledSeed = 0;

  /** One mini-batch step. Returns the data loss and each kernel's update/weight ratio. */
  step(x: tf.Tensor2D, y: tf.Tensor2D, stepSeed: number): { loss: number; ratios: number[] } {
    const { impl } = this;
    const params = this.flat();
    const kernels = this.layers.map((l) => l.W);
    this.compiledSeed = stepSeed;
    const { loss, next, nextStates } = this.compiled ? this.compiled(x, y, ...params) : this.tensorPart(x, y, params, stepSeed);
    const ratios = impl.updateToWeightRatio(kernels, next.filter((_, i) => i % 2 === 0));
    const lossValue = loss.dataSync()[0]!;
    loss.dispose();
    tf.dispose(params);
    this.states.forEach((s) => s && this.impl.disposeState(s));
    this.layers = this.layers.map((_, i) => ({ W: next[2 * i] as tf.Tensor2D, b: next[2 * i + 1] as tf.Tensor1D }));
    this.states = nextStates;
    return { loss: lossValue, ratios };
  }

  /** The step's tensors: data loss, next parameters, next optimiser states (reads nothing back). */
  private tensorPart(x: tf.Tensor2D, y: tf.Tensor2D, params: tf.Tensor[], stepSeed: number): TensorPart {
    const { impl, config } = this;
    const kernels = params.filter((_, i) => i % 2 === 0);
    // tf.tidy keeps every tensor inside the returned object (the states hold tensors too).
    return tf.tidy((): tf.TensorContainer => {
      const f = (...ps: tf.Tensor[]) => tf.losses.softmaxCrossEntropy(y, this.forward(x, ps, true, stepSeed)) as tf.Scalar;
      const { value, grads } = tf.valueAndGrads(f)(params);
      if (config.l2 > 0) {
        const penalty = impl.l2PenaltyGrads(kernels, config.l2);
        penalty.forEach((g, i) => (grads[2 * i] = tf.add(grads[2 * i]!, g)));
      }
      const next: tf.Tensor[] = [];
      const nextStates: OptState[] = [];
      params.forEach((p, i) => {
        const g = grads[i]!;
        const s = this.states[i]!;
        if (config.optimizer === 'sgd') {
          next.push(tf.sub(p, tf.mul(g, config.learningRate)));
          nextStates.push(null);
        } else {
          const r =
            config.optimizer === 'momentum'
              ? impl.sgdMomentumStep(p, g, s as MomentumState, { learningRate: config.learningRate, momentum: 0.9 })
              : impl.adamStep(p, g, s as AdamState, { learningRate: config.learningRate });
          next.push(r.param);
          nextStates.push(r.state);
        }
      });
      return { loss: value, next, nextStates } as unknown as tf.TensorContainer;
    }) as unknown as TensorPart;
  }

  /** Mean cross-entropy and accuracy at inference (no dropout). */
  evaluate(x: tf.Tensor2D, y: tf.Tensor2D): { loss: number; acc: number } {
    return tf.tidy(() => {
      const logits = this.forward(x, this.flat(), false, 0);
      const loss = tf.losses.softmaxCrossEntropy(y, logits).dataSync()[0]!;
      const acc = tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(y, 1)), 'float32')).dataSync()[0]!;
      return { loss, acc };
    });
  }

  /** ‖W‖₂ over all kernels. */
  weightNorm(): number {
    return tf.tidy(() => Math.sqrt(tf.addN(this.layers.map((l) => tf.sum(tf.square(l.W)))).dataSync()[0]!));
  }

  snapshot(): LabSnapshot {
    return {
      layers: this.layers.map((l) => ({ W: l.W.arraySync(), b: l.b.arraySync() })),
      states: this.states.map((s) => {
        if (!s) return null;
        if ('velocity' in s) return { velocity: Array.from(s.velocity.dataSync()) };
        return { m: Array.from(s.m.dataSync()), v: Array.from(s.v.dataSync()), t: s.t };
      }),
    };
  }

  restore(snap: LabSnapshot): void {
    this.disposeTensors();
    this.layers = snap.layers.map((l) => ({ W: tf.tensor2d(l.W), b: tf.tensor1d(l.b) }));
    const shapes = this.flat().map((p) => p.shape);
    this.states = snap.states.map((s, i) => {
      if (!s) return null;
      if ('velocity' in s) return { velocity: tf.tensor(s.velocity, shapes[i]) };
      return { m: tf.tensor(s.m, shapes[i]), v: tf.tensor(s.v, shapes[i]), t: s.t };
    });
  }

  dispose(): void {
    this.compiled?.dispose();
    this.compiled = null;
    this.disposeTensors();
  }

  private disposeTensors(): void {
    tf.dispose(this.flat());
    this.states.forEach((s) => s && this.impl.disposeState(s));
  }
}
