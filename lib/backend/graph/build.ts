/**
 * Turn a recording (trace.ts) into GraphDef nodes: one Placeholder per argument or variable the
 * step reads, one Const per captured constant, one node per recorded op, and the names of the
 * tensors to fetch (the step's results, then every reassigned variable's new value).
 */
import type { Binding, OpAttr } from './binding.js';
import type { AttrValueProto, NodeDefProto, ShapeProto } from './proto.js';
import { rewriteOp, rewritesEnabled } from './rewrite.js';
import type { Recording, StepResult, Symbol } from './trace.js';

/** A placeholder: a step argument, a variable's value, or a per-call constant (by ordinal). */
export type Feed = { kind: 'arg'; index: number } | { kind: 'var'; name: string } | { kind: 'const'; ordinal: number };

export interface BuildOptions {
  /** ordinals of constants that become placeholders (their values differ per call) */
  perCall?: Set<number>;
  /** fetch these symbols instead of results + variable updates (the shadow pass) */
  fetches?: Symbol[];
}

export interface BuiltGraph {
  nodes: NodeDefProto[];
  /** placeholder tensor names ("in_0:0"), in feed order */
  feedNames: string[];
  feeds: Feed[];
  /** tensor names to fetch: results first, then variable updates */
  fetchNames: string[];
  resultCount: number;
  updates: string[];
}

/** TF DataType enum values (tensorflow/core/framework/types.proto). */
export const DT = { float32: 1, int32: 3, bool: 10 } as const;

const shapeProto = (shape: readonly number[]): ShapeProto => ({ dim: shape.map((size) => ({ size })) });

function attrValue(b: Binding, a: OpAttr): AttrValueProto {
  const v = a.value;
  const list = Array.isArray(v);
  switch (a.type) {
    case b.TF_ATTR_STRING:
      return { s: new TextEncoder().encode(String(v)) };
    case b.TF_ATTR_INT:
      return list ? { list: { i: (v as number[]).map(Number) } } : { i: Number(v) };
    case b.TF_ATTR_FLOAT:
      return list ? { list: { f: (v as number[]).map(Number) } } : { f: Number(v) };
    case b.TF_ATTR_BOOL:
      return list ? { list: { b: (v as boolean[]).map(Boolean) } } : { b: Boolean(v) };
    case b.TF_ATTR_TYPE:
      return { type: Number(v) };
    case b.TF_ATTR_SHAPE:
      return { shape: shapeProto(v as number[]) };
    default:
      throw new Error(`attribute ${a.name} has a type (${a.type}) the graph compiler does not handle`);
  }
}

export function buildGraph(
  b: Binding,
  rec: Recording<StepResult>,
  shapeOfFeed: (f: Feed) => { shape: number[]; dtype: number },
  opts: BuildOptions = {},
): BuiltGraph {
  const nodes: NodeDefProto[] = [];
  const feeds: Feed[] = [];
  const feedNames: string[] = [];
  const feedIndex = new Map<string, number>();
  const constName = new Map<number, string>();

  const placeholder = (key: string, feed: Feed): string => {
    let i = feedIndex.get(key);
    if (i === undefined) {
      i = feeds.length;
      const { shape, dtype } = shapeOfFeed(feed);
      feeds.push(feed);
      feedIndex.set(key, i);
      feedNames.push(`in${i}:0`);
      nodes.push({ name: `in${i}`, op: 'Placeholder', input: [], attr: { dtype: { type: dtype }, shape: { shape: shapeProto(shape) } } });
    }
    return `in${i}`;
  };
  const ref = (s: Symbol): string => {
    if (s.kind === 'const' && opts.perCall) {
      const ordinal = rec.constOrdinal.get(s.id);
      if (ordinal !== undefined && opts.perCall.has(ordinal)) return placeholder(`c${ordinal}`, { kind: 'const', ordinal });
    }
    switch (s.kind) {
      case 'op':
        return s.out === 0 ? `n${s.op}` : `n${s.op}:${s.out}`;
      case 'arg':
      case 'var': {
        const key = s.kind === 'arg' ? `a${s.index}` : `v${s.name}`;
        return placeholder(key, s.kind === 'arg' ? { kind: 'arg', index: s.index } : { kind: 'var', name: s.name });
      }
      case 'const': {
        let name = constName.get(s.id);
        if (!name) {
          const c = rec.consts.get(s.id);
          if (!c) throw new Error(`internal error: no value recorded for constant tensor ${s.id}`);
          name = `c${constName.size}`;
          constName.set(s.id, name);
          nodes.push({
            name,
            op: 'Const',
            input: [],
            attr: {
              dtype: { type: c.dtype },
              value: { tensor: { dtype: c.dtype, tensor_shape: shapeProto(c.shape), tensor_content: c.bytes } },
            },
          });
        }
        return name;
      }
    }
  };

  const shapeOf = (s: Symbol): readonly number[] => {
    switch (s.kind) {
      case 'op':
        return rec.ops[s.op]!.outputs[s.out]!.shape;
      case 'const':
        return rec.consts.get(s.id)!.shape;
      default:
        return shapeOfFeed(s.kind === 'arg' ? { kind: 'arg', index: s.index } : { kind: 'var', name: s.name }).shape;
    }
  };
  const rewrite = rewritesEnabled();
  rec.ops.forEach((op, i) => {
    const attr: Record<string, AttrValueProto> = {};
    for (const a of op.attrs) attr[a.name] = attrValue(b, a);
    const symbols = rec.inputSymbols[i]!;
    const node = { name: `n${i}`, op: op.op, input: symbols.map(ref), attr };
    const replaced = rewrite && op.outputs.length === 1
      ? rewriteOp({ name: node.name, op: op.op, inputs: node.input, inputShapes: symbols.map(shapeOf), outputShape: op.outputs[0]!.shape, attr })
      : null;
    nodes.push(...(replaced ?? [node]));
  });
  const tensorName = (s: Symbol): string => {
    const r = ref(s);
    return r.includes(':') ? r : `${r}:0`;
  };
  if (opts.fetches) {
    return { nodes, feedNames, feeds, fetchNames: opts.fetches.map(tensorName), resultCount: opts.fetches.length, updates: [] };
  }
  const fetchNames = [...rec.resultSymbols.map(tensorName), ...rec.updates.map((u) => tensorName(u.symbol))];
  return { nodes, feedNames, feeds, fetchNames, resultCount: rec.resultSymbols.length, updates: rec.updates.map((u) => u.name) };
}
