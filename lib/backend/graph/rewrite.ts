/**
 * Peephole rewrites applied while a traced step becomes a graph (build.ts): an op that tfjs-node
 * had to express through a slower TensorFlow kernel is emitted as the faster equivalent.
 *
 * Only one, and why: tfjs runs every matMul as `BatchMatMulV2` on [1, m, k] × [1, k, n] (tfjs-core
 * may reshape 2-D operands to 3-D). On this CPU (TF 2.9, oneDNN on) TensorFlow's plain `MatMul` is
 * 2–3.7× faster for the small products of RNN cells and MLPs (measured per kernel: 32×96×384
 * 16 µs vs 39 µs; 32×32×384 10 µs vs 37 µs). A BatchMatMulV2 on 2-D or batch-1 operands becomes
 * one MatMul (with Reshapes around it for batch-1 3-D operands; Grappler folds reshape pairs).
 * The result is the same product (same kernel family, same float32 accumulation); the graph
 * agreement tests (test/lib/graph-step.test.ts) cover it. Off switch: COURSE_GRAPH_REWRITE=0.
 */
import type { NodeDefProto } from './proto.js';

const DT_INT32 = 3;

const shapeConst = (name: string, shape: readonly number[]): NodeDefProto => ({
  name,
  op: 'Const',
  input: [],
  attr: {
    dtype: { type: DT_INT32 },
    value: { tensor: { dtype: DT_INT32, tensor_shape: { dim: [{ size: shape.length }] }, tensor_content: new Uint8Array(Int32Array.from(shape).buffer) } },
  },
});

export interface OpForRewrite {
  /** the node's name in the graph (consumers refer to it) */
  name: string;
  op: string;
  inputs: string[];
  /** shapes of the inputs, as traced */
  inputShapes: (readonly number[])[];
  outputShape: readonly number[];
  attr: NodeDefProto['attr'];
}

export const rewritesEnabled = (): boolean => process.env.COURSE_GRAPH_REWRITE !== '0';

/** The nodes to emit instead of `o`, or null to emit it unchanged. The last node keeps o.name. */
export function rewriteOp(o: OpForRewrite): NodeDefProto[] | null {
  if (o.op === 'BatchMatMulV2') return batchOneMatMul(o);
  return null;
}

function batchOneMatMul(o: OpForRewrite): NodeDefProto[] | null {
  const [a, b] = o.inputShapes;
  const out = o.outputShape;
  const matrixLike = (s: readonly number[] | undefined): s is readonly number[] => !!s && (s.length === 2 || (s.length === 3 && s[0] === 1));
  const T = o.attr.T;
  if (!matrixLike(a) || !matrixLike(b) || !matrixLike(out) || !T) return null;
  const n = o.name;
  const matMul = (name: string, inputs: string[]): NodeDefProto => ({
    name,
    op: 'MatMul',
    input: inputs,
    attr: { T, transpose_a: { b: o.attr.adj_x?.b ?? false }, transpose_b: { b: o.attr.adj_y?.b ?? false } },
  });
  // tfjs-core passes 2-D operands straight through: then it is one MatMul node
  if (a.length === 2 && b.length === 2 && out.length === 2) return [matMul(n, o.inputs)];
  const nodes: NodeDefProto[] = [];
  const as2d = (input: string, shape: readonly number[], tag: string): string => {
    if (shape.length === 2) return input;
    nodes.push(shapeConst(`${n}_${tag}shape`, shape.slice(1)));
    nodes.push({ name: `${n}_${tag}`, op: 'Reshape', input: [input, `${n}_${tag}shape`], attr: { T, Tshape: { type: DT_INT32 } } });
    return `${n}_${tag}`;
  };
  const inputs = [as2d(o.inputs[0]!, a, 'a'), as2d(o.inputs[1]!, b, 'b')];
  if (out.length === 2) return [...nodes, matMul(n, inputs)];
  nodes.push(matMul(`${n}_mm`, inputs), shapeConst(`${n}_oshape`, out));
  nodes.push({ name: n, op: 'Reshape', input: [`${n}_mm`, `${n}_oshape`], attr: { T, Tshape: { type: DT_INT32 } } });
  return nodes;
}
