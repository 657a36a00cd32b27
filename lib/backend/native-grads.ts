/**
 * Native gradient kernels for the 'tensorflow' backend (tfjs-node).
 *
 * tfjs-core writes the gradients of ReLU, ReLU6, LeakyReLU, sigmoid and tanh as compositions of
 * generic ops. On tfjs-node every op is a separate TensorFlow kernel call; ReLU's gradient
 * (`dy * step(x)`, where tfjs-node's `Step` is IsNan + Greater + Ones + Fill + Select + Select)
 * is 7 TF ops where TensorFlow has one `ReluGrad` kernel. `registerNativeGradients()` replaces
 * those gradients by TensorFlow's own fused kernels (ReluGrad, Relu6Grad, LeakyReluGrad,
 * SigmoidGrad, TanhGrad) when the active backend is 'tensorflow', and keeps tfjs's original
 * gradient on every other backend (gradients are global in tfjs, so the choice is made per call).
 *
 * Same saved tensors as tfjs's configs (x for the ReLUs, the output y for sigmoid/tanh), same
 * maths; the only difference is at NaN inputs, where TF's kernels give 0 instead of NaN.
 * Off switch: COURSE_NATIVE_GRADS=0.
 */
import * as tf from '@tensorflow/tfjs';

/** The part of tfjs-node's NodeJSKernelBackend this file uses. */
interface NativeBackend {
  executeSingleOutput(name: string, attrs: { name: string; type: number; value: unknown }[], inputs: tf.TensorInfo[]): tf.Tensor;
  binding: { TF_ATTR_TYPE: number; TF_ATTR_FLOAT: number; TF_FLOAT: number };
}

interface FusedGrad {
  /** the tfjs kernel whose gradient is replaced */
  kernel: string;
  /** the TensorFlow op that computes it */
  tfOp: string;
  /** TF op inputs in order, from (dy, saved tensor) */
  order: 'dy-first' | 'saved-first';
  /** the tfjs input name the gradient is for */
  input: string;
  floatAttrs?: (attrs: tf.NamedAttrMap) => Record<string, number>;
}

const FUSED: FusedGrad[] = [
  { kernel: 'Relu', tfOp: 'ReluGrad', order: 'dy-first', input: 'x' },
  { kernel: 'Relu6', tfOp: 'Relu6Grad', order: 'dy-first', input: 'x' },
  { kernel: 'LeakyRelu', tfOp: 'LeakyReluGrad', order: 'dy-first', input: 'x', floatAttrs: (a) => ({ alpha: Number(a.alpha) }) },
  // SigmoidGrad(y, dy) = dy * y * (1 - y); TanhGrad(y, dy) = dy * (1 - y²)
  { kernel: 'Sigmoid', tfOp: 'SigmoidGrad', order: 'saved-first', input: 'x' },
  { kernel: 'Tanh', tfOp: 'TanhGrad', order: 'saved-first', input: 'x' },
];

let registered = false;

/** Kernel name under which each fused gradient op is registered for the tensorflow backend. */
export const nativeGradKernel = (tfOp: string): string => `Course${tfOp}`;

/**
 * Register the fused gradients (once per process). Safe to call before any backend is chosen:
 * the gradient functions check the active backend each time they run.
 */
export function registerNativeGradients(): void {
  if (registered || process.env.COURSE_NATIVE_GRADS === '0') return;
  for (const g of FUSED) {
    const original = tf.getGradient(g.kernel);
    if (!original) continue;
    tf.registerKernel({
      kernelName: nativeGradKernel(g.tfOp),
      backendName: 'tensorflow',
      kernelFunc: ({ inputs, backend, attrs }) => {
        const be = backend as unknown as NativeBackend;
        const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        const opAttrs: { name: string; type: number; value: unknown }[] = [
          { name: 'T', type: be.binding.TF_ATTR_TYPE, value: be.binding.TF_FLOAT },
        ];
        for (const [name, value] of Object.entries(attrs && g.floatAttrs ? g.floatAttrs(attrs) : {})) {
          opAttrs.push({ name, type: be.binding.TF_ATTR_FLOAT, value });
        }
        return be.executeSingleOutput(g.tfOp, opAttrs, [a, b]);
      },
    });
    tf.registerGradient({
      ...original,
      gradFunc: (dy, saved, attrs) => {
        const grad = dy as tf.Tensor;
        const s = saved[0]!;
        if (tf.getBackend() !== 'tensorflow' || grad.dtype !== 'float32' || s.dtype !== 'float32') {
          return original.gradFunc(dy, saved, attrs);
        }
        const [a, b] = g.order === 'dy-first' ? [grad, s] : [s, grad];
        return { [g.input]: () => tf.engine().runKernel(nativeGradKernel(g.tfOp), { a, b }, attrs) as tf.Tensor };
      },
    });
  }
  registered = true;
}
