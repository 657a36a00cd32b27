/**
 * The parts of tfjs-node's native binding and backend that the graph compiler uses
 * (@tensorflow/tfjs-node/dist/tfjs_binding.d.ts and nodejs_kernel_backend.js, 4.22.0).
 */
import * as tf from '@tensorflow/tfjs';

export interface TensorMetadata {
  id: number;
  shape: number[];
  dtype: number;
}

export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

export type BackendValues = Float32Array | Int32Array | Uint8Array | Uint8Array[] | string[];

export interface Binding {
  createTensor(shape: number[], dtype: number, values: BackendValues): number;
  deleteTensor(id: number): void;
  tensorDataSync(id: number): Float32Array | Int32Array | Uint8Array;
  executeOp(opName: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): TensorMetadata[];
  loadSavedModel(exportDir: string, tags: string): number;
  deleteSavedModel(id: number): void;
  runSavedModel(id: number, inputIds: number[], inputOpNames: string, outputOpNames: string): TensorMetadata[];
  TF_FLOAT: number;
  TF_INT32: number;
  TF_INT64: number;
  TF_BOOL: number;
  TF_COMPLEX64: number;
  TF_STRING: number;
  TF_RESOURCE: number;
  TF_UINT8: number;
  TF_ATTR_STRING: number;
  TF_ATTR_INT: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_SHAPE: number;
  TF_ATTR_RESOURCE: number;
  TF_Version: string;
}

export interface NodeBackend {
  binding: Binding;
  /** dataId → native tensor info; `values` is set until the tensor is first used by an op */
  tensorMap: { get(dataId: object): { id: number; shape: number[]; dtype: number; values: unknown } | undefined; has(dataId: object): boolean };
  getInputTensorIds(tensors: tf.TensorInfo[]): number[];
  createOutputTensor(meta: TensorMetadata): tf.Tensor;
}

/** The active tfjs-node backend, or null when another backend runs. */
export function nodeBackend(): NodeBackend | null {
  if (tf.getBackend() !== 'tensorflow') return null;
  const be = tf.backend() as unknown as Partial<NodeBackend>;
  return be.binding && typeof be.binding.executeOp === 'function' && typeof be.binding.runSavedModel === 'function'
    ? (be as NodeBackend)
    : null;
}

/** The native id of a tensor (created natively first if its values still live in JS). */
export function nativeId(be: NodeBackend, t: tf.TensorInfo): number {
  return be.getInputTensorIds([t])[0]!;
}

/**
 * Run `fn` with some binding functions replaced (the binding's own properties are read-only, so
 * the backend gets a stand-in object that inherits the rest), then put the real binding back
 * (after the promise settles when `fn` is async).
 */
export function withBinding<T>(be: NodeBackend, overrides: Partial<Binding>, fn: () => T): T {
  const real = be.binding;
  const props: PropertyDescriptorMap = {};
  for (const [k, v] of Object.entries(overrides)) props[k] = { value: v, enumerable: true };
  be.binding = Object.create(real, props) as Binding;
  let result: T;
  try {
    result = fn();
  } catch (err) {
    be.binding = real;
    throw err;
  }
  if (result instanceof Promise) {
    return result.finally(() => {
      be.binding = real;
    }) as T;
  }
  be.binding = real;
  return result;
}

/** Count the binding's executeOp calls (by op name) while `fn` runs; for the bench. */
export async function countOps(fn: () => Promise<unknown> | unknown): Promise<Map<string, number> | null> {
  const be = nodeBackend();
  if (!be) return null;
  const counts = new Map<string, number>();
  const real = be.binding;
  await withBinding(be, {
    executeOp: (name, attrs, ids, n) => {
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return real.executeOp(name, attrs, ids, n);
    },
  }, fn);
  return counts;
}
