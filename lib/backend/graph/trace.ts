/**
 * Record one eager call of a step function at the level of tfjs-node's native binding: every
 * `executeOp` (op name, attributes, input and output tensor ids), every tensor created from JS
 * values (`createTensor`), and every value read back to JS (`tensorDataSync`).
 *
 * Each op input is then resolved to a symbol: the output of an earlier recorded op, a step
 * argument (the batch), a tf.Variable (weights, optimiser state, batch-norm statistics), or a
 * constant (a tensor made from JS values during the call, or an older immutable tensor, whose
 * values are captured). Two recordings of the same step are compared symbol by symbol; if they
 * differ (different ops, shapes or constant values) the step is not a fixed graph.
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { type BackendValues, type NodeBackend, type OpAttr, type TensorMetadata, nativeId, withBinding } from './binding.js';

export interface TracedOp {
  op: string;
  attrs: OpAttr[];
  inputs: number[];
  outputs: TensorMetadata[];
}

export interface ConstValue {
  shape: number[];
  dtype: number;
  bytes: Uint8Array;
  hash: string;
}

export type Symbol =
  | { kind: 'op'; op: number; out: number }
  | { kind: 'arg'; index: number }
  | { kind: 'var'; name: string }
  | { kind: 'const'; id: number };

export interface Recording<R> {
  result: R;
  ops: TracedOp[];
  /** native id → value, for every input that is neither an op output, an argument nor a variable */
  consts: Map<number, ConstValue>;
  /** symbol of each op input, by op */
  inputSymbols: Symbol[][];
  /** true when the step returned a number: resultSymbols[0] is the scalar it was read from */
  numberResult: boolean;
  /** symbols of the tensors the step returned, in order */
  resultSymbols: Symbol[];
  /** how the step returned: tensor(s), nothing, a number, or a plain object/array (a container) */
  resultKind: ResultKind;
  /** op outputs still alive (not deleted) when the call returned */
  alive: OpOut[];
  /** op outputs read back to JS after the last op (the step's end-reads), first read first */
  endReads: OpOut[];
  /** constants by first use (op order, then input order): native id → ordinal */
  constOrdinal: Map<number, number>;
  /** why only a shadow pass (shadow.ts) can run this step as a graph (the JS must run), or null */
  needsShadow: string | null;
  /** variables the step reassigned, with the symbol of their new value */
  updates: { name: string; symbol: Symbol }[];
  /** variables the step read (placeholders), with shape and dtype */
  varsRead: Map<string, tf.Variable>;
  /** optimisers whose iteration counter (JS-side state) the step advanced, once per call */
  iterated: tf.Optimizer[];
  /** why this recording can't become a graph, or null */
  problem: string | null;
}

/**
 * What a step may return: tensors, nothing, or a number read from a scalar tensor as the step's
 * very last action (e.g. `return loss.dataSync()[0]`).
 */
/**
 * Kernels of tfjs-node that read an input back to JavaScript only to validate it before running
 * the TF op on it (GatherV2 bounds-checks its indices; TF's own kernel checks them too): such a
 * read right before that op does not make the step data-dependent.
 */
const VALIDATION_READS: Record<string, number[]> = { GatherV2: [1] };

export type StepResult = tf.Tensor | tf.Tensor[] | number | null | void | object;

export type ResultKind = 'single' | 'array' | 'number' | 'none' | 'container';

export interface OpOut {
  op: number;
  out: number;
}

export function resultKindOf(r: unknown): ResultKind {
  if (r === null || r === undefined) return 'none';
  if (typeof r === 'number') return 'number';
  if (r instanceof tf.Tensor) return 'single';
  if (Array.isArray(r) && r.every((t) => t instanceof tf.Tensor)) return 'array';
  return 'container';
}

/** Every tensor in a step's result (tensors, arrays and plain objects, walked deeply). */
export function tensorsIn(r: unknown, out: tf.Tensor[] = []): tf.Tensor[] {
  if (r instanceof tf.Tensor) out.push(r);
  else if (Array.isArray(r)) for (const x of r) tensorsIn(x, out);
  else if (r !== null && typeof r === 'object' && Object.getPrototypeOf(r) === Object.prototype) for (const x of Object.values(r)) tensorsIn(x, out);
  return out;
}

function resultTensors(r: StepResult): tf.Tensor[] {
  const kind = resultKindOf(r);
  if (kind === 'single') return [r as tf.Tensor];
  if (kind === 'array') return r as tf.Tensor[];
  return [];
}

function toBytes(values: BackendValues): Uint8Array | null {
  if (values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array) {
    return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  }
  return null; // strings
}

function constOf(shape: number[], dtype: number, bytes: Uint8Array): ConstValue {
  const hash = createHash('sha1').update(bytes).update(`${dtype}:${shape.join('x')}`).digest('hex');
  return { shape: [...shape], dtype, bytes, hash };
}

/** Record one call of `fn(...args)`; the call really runs (eagerly) and its result is returned. */
export function recordStep<R extends StepResult>(be: NodeBackend, fn: (...args: tf.Tensor[]) => R, args: tf.Tensor[]): Recording<R> {
  const real = be.binding;
  const registry = tf.engine().state.registeredVariables;
  const varsBefore = new Map<string, { v: tf.Variable; dataId: object; id: number }>();
  for (const [name, v] of Object.entries(registry)) varsBefore.set(name, { v, dataId: v.dataId, id: nativeId(be, v) });
  const argIds = args.map((a) => nativeId(be, a));
  const argById = new Map<number, number>();
  argIds.forEach((id, i) => {
    if (!argById.has(id)) argById.set(id, i);
  });
  const varById = new Map<number, string>();
  for (const [name, info] of varsBefore) if (!varById.has(info.id)) varById.set(info.id, name);

  const ops: TracedOp[] = [];
  const produced = new Map<number, { op: number; out: number }>();
  const consts = new Map<number, ConstValue>();
  const constOrdinal = new Map<number, number>();
  const deleted = new Set<number>();
  /** every read: which tensor, how many ops had run by then, and the first value */
  const reads: { id: number; opsBefore: number; first: number | undefined; size: number; check?: boolean }[] = [];
  const varsRead = new Map<string, tf.Variable>();
  let problem: string | null = null;

  const symbolOf = (id: number): Symbol => {
    const p = produced.get(id);
    if (p) return { kind: 'op', ...p };
    const a = argById.get(id);
    if (a !== undefined) return { kind: 'arg', index: a };
    const v = varById.get(id);
    if (v !== undefined) {
      varsRead.set(v, varsBefore.get(v)!.v);
      return { kind: 'var', name: v };
    }
    if (!consts.has(id)) {
      // An immutable tensor made before the call (e.g. a cached scalar): capture its value.
      const values = real.tensorDataSync(id);
      const bytes = toBytes(values);
      if (!bytes) problem ??= 'the step uses a string tensor';
      else {
        const meta = findMeta(id);
        consts.set(id, constOf(meta.shape, meta.dtype, bytes));
      }
    }
    if (!constOrdinal.has(id)) constOrdinal.set(id, constOrdinal.size);
    return { kind: 'const', id };
  };
  const metaOf = new Map<number, { shape: number[]; dtype: number }>();
  const findMeta = (id: number): { shape: number[]; dtype: number } => {
    const known = metaOf.get(id);
    if (known) return known;
    // The binding has no "shape of id" call; an Identity op (T inferred from the input) tells.
    const [m] = real.executeOp('Identity', [], [id], 1);
    real.deleteTensor(m!.id);
    return { shape: m!.shape, dtype: m!.dtype };
  };
  const inputSymbols: Symbol[][] = [];

  // The only JS-side state tfjs's own training code keeps: each optimiser's iteration counter.
  const iterated: tf.Optimizer[] = [];
  const proto = tf.Optimizer.prototype as unknown as { incrementIterations(this: tf.Optimizer): void };
  const increment = proto.incrementIterations;
  proto.incrementIterations = function (this: tf.Optimizer) {
    iterated.push(this);
    increment.call(this);
  };
  let result!: R;
  let resultKind: ResultKind = 'none';
  let needsShadow: string | null = null;
  let resultSymbols: Symbol[] = [];
  const updates: { name: string; symbol: Symbol }[] = [];
  withBinding(
    be,
    {
      executeOp: (name, attrs, ids, n) => {
        for (const r of reads) {
          if (r.opsBefore === ops.length && VALIDATION_READS[name]?.some((k) => ids[k] === r.id)) r.check = true;
        }
        inputSymbols.push(ids.map((id) => symbolOf(id)));
        const outputs = real.executeOp(name, attrs, ids, n);
        const index = ops.length;
        ops.push({ op: name, attrs, inputs: [...ids], outputs });
        outputs.forEach((m, out) => {
          produced.set(m.id, { op: index, out });
          metaOf.set(m.id, { shape: m.shape, dtype: m.dtype });
        });
        return outputs;
      },
      createTensor: (shape, dtype, values) => {
        const id = real.createTensor(shape, dtype, values);
        const bytes = toBytes(values);
        if (!bytes) problem ??= 'the step creates a string tensor';
        else consts.set(id, constOf(shape, dtype, bytes));
        metaOf.set(id, { shape, dtype });
        return id;
      },
      deleteTensor: (id) => {
        deleted.add(id);
        real.deleteTensor(id);
      },
      tensorDataSync: (id) => {
        const values = real.tensorDataSync(id);
        reads.push({ id, opsBefore: ops.length, first: values[0], size: values.length });
        return values;
      },
    },
    () => {
      try {
        result = fn(...args);
      } finally {
        proto.incrementIterations = increment;
      }
      resultKind = resultKindOf(result) as ResultKind;
      resultSymbols = resultTensors(result).map((t) => symbolOf(nativeId(be, t)));
      if (resultKind === 'number') {
        // Without a shadow pass, a number must be exactly the value of a scalar read after the last op.
        const last = reads.at(-1);
        if (last && last.opsBefore === ops.length && last.size === 1 && produced.has(last.id) && Object.is(last.first, result)) {
          resultSymbols = [symbolOf(last.id)];
        } else {
          needsShadow ??= 'it returns a number computed in JavaScript from values read at its end';
        }
      } else if (resultKind === 'container') {
        needsShadow ??= 'it returns a plain object or array';
      }
      for (const [name, info] of varsBefore) {
        const v = registry[name];
        if (v !== info.v) continue; // disposed during the step
        if (v.dataId !== info.dataId) updates.push({ name, symbol: symbolOf(nativeId(be, v)) });
      }
    },
  );
  const created = Object.keys(registry).filter((n) => !varsBefore.has(n));
  if (created.length) problem ??= `the step created ${created.length} variable(s) (${created.slice(0, 3).join(', ')})`;
  if (reads.some((r) => produced.has(r.id) && r.opsBefore < ops.length && !r.check)) {
    problem ??= 'the step reads values back to JavaScript in the middle of the step (dataSync/arraySync/data)';
  }
  if (ops.length === 0) problem ??= 'the step ran no TensorFlow ops';
  const alive: OpOut[] = [];
  for (const [id, p] of produced) if (!deleted.has(id)) alive.push(p);
  alive.sort((a, b) => a.op - b.op || a.out - b.out);
  const endReads: OpOut[] = [];
  for (const r of reads) {
    const p = produced.get(r.id);
    if (p && r.opsBefore === ops.length && !endReads.some((e) => e.op === p.op && e.out === p.out)) endReads.push(p);
  }
  const numberResult = (resultKind as ResultKind) === 'number' && needsShadow === null;
  return { result, ops, consts, inputSymbols, numberResult, resultSymbols, resultKind, alive, endReads, constOrdinal, needsShadow, updates, varsRead, iterated, problem };
}

function canonicalSymbol(s: Symbol, rec: Recording<StepResult>): string {
  switch (s.kind) {
    case 'op':
      return `o${s.op}:${s.out}`;
    case 'arg':
      return `a${s.index}`;
    case 'var':
      return `v${s.name}`;
    case 'const': {
      const c = rec.consts.get(s.id);
      return `c${rec.constOrdinal.get(s.id) ?? '?'}:${c ? `${c.dtype}[${c.shape.join('x')}]` : '?'}`;
    }
  }
}

/**
 * A string that is equal for two recordings exactly when they describe the same graph up to the
 * values of its constants: the same ops with the same attributes, wired the same way, on
 * constants of the same shapes (numbered by first use). `constHashes` gives the values.
 */
export function canonical(rec: Recording<StepResult>): string {
  const parts: string[] = [];
  rec.ops.forEach((op, i) => {
    const inputs = rec.inputSymbols[i]!.map((s) => canonicalSymbol(s, rec)).join(',');
    const outs = op.outputs.map((m) => `${m.dtype}[${m.shape.join('x')}]`).join(',');
    parts.push(`${op.op}(${inputs})${JSON.stringify(op.attrs)}->${outs}`);
  });
  parts.push(`return ${rec.resultKind} ${rec.resultSymbols.map((s) => canonicalSymbol(s, rec)).join(',')}`);
  parts.push(`update ${rec.updates.map((u) => `${u.name}=${canonicalSymbol(u.symbol, rec)}`).join(',')}`);
  parts.push(`alive ${rec.alive.map((p) => `${p.op}:${p.out}`).join(',')}`);
  parts.push(`read ${rec.endReads.map((p) => `${p.op}:${p.out}`).join(',')}`);
  return parts.join('\n');
}

/** The constants' value hashes by ordinal (first use). */
export function constHashes(rec: Recording<StepResult>): string[] {
  const out: string[] = [];
  for (const [id, k] of rec.constOrdinal) out[k] = rec.consts.get(id)?.hash ?? '?';
  return out;
}

/** The first line where two canonical forms differ, for the fallback reason. */
export function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `op ${i}: ${(la[i] ?? '(none)').slice(0, 80)} vs ${(lb[i] ?? '(none)').slice(0, 80)}`;
  }
  return 'no difference';
}
