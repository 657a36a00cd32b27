/**
 * The shadow pass: run a step whose graph is fixed but whose constants change per call (random
 * numbers drawn in JavaScript, a JS step counter's bias correction, a per-step seed) as one
 * session run, with exactly the eager step's semantics.
 *
 * Each call runs the step's JavaScript once more against a kernel-free stand-in binding:
 * - `executeOp` runs nothing: it checks that op k is the recording's op k (name, attributes,
 *   output count, and every input wired the same way) and returns fake ids (negative numbers,
 *   which tfjs-node's `disposeData` never passes to the binding) with the recorded shapes;
 * - `createTensor` really creates the tensor (a memcpy): the per-call constants are real tensors,
 *   fed to the graph's placeholders by their slot (the op and input where the recording first
 *   used them); constants that were equal in both recordings are compared with the recorded bytes;
 * - `deleteTensor` of real ids is deferred to the end of the call (a variable's old value that the
 *   JS disposed is still a feed of the session run);
 * - `tensorDataSync` of a fake id after the recording's last op (an end-read such as
 *   `loss.dataSync()`) runs the session right there, so the JS reads the true value.
 * The session's fetches are every op output that was alive when the recorded call returned, plus
 * the end-read ones; each fetched real tensor replaces the fake id in its tensor's backend record,
 * so the tensors the JS kept (results, variables' new values, tensors in a returned object) hold
 * real data afterwards, and JS-side state (an Rng, a counter in a returned object, optimisers'
 * iteration counters) is what eager execution leaves, because the JS really ran.
 *
 * If the JS does anything the recording did not (another op, other wiring, a different baked
 * constant, a read mid-step, a live tensor the graph does not fetch), the ops issued so far are
 * replayed for real on the native binding and the rest of the call runs eagerly: the result is
 * still exactly the eager one (`recovered` is set, with the reason).
 */
import * as tf from '@tensorflow/tfjs';
import { type Binding, type NodeBackend, type OpAttr, type TensorMetadata, nativeId, withBinding } from './binding.js';
import type { BuiltGraph } from './build.js';
import type { OpOut, Recording, StepResult } from './trace.js';

type Expected =
  | { k: 'op'; op: number; out: number }
  | { k: 'arg'; index: number }
  | { k: 'var'; name: string }
  | { k: 'pc'; ordinal: number }
  | { k: 'bc'; id: number; bytes: Uint8Array };

export interface ShadowPlan {
  be: NodeBackend;
  modelId: number;
  graph: BuiltGraph;
  ops: { op: string; attrs: OpAttr[]; outputs: TensorMetadata[]; inputs: Expected[] }[];
  /** what the graph fetches, in fetch order */
  fetches: OpOut[];
  perCall: number;
}

export function planShadow(be: NodeBackend, rec: Recording<StepResult>, perCall: Set<number>, modelId: number, graph: BuiltGraph, fetches: OpOut[]): ShadowPlan {
  const ops = rec.ops.map((op, i) => ({
    op: op.op,
    attrs: op.attrs,
    outputs: op.outputs,
    inputs: rec.inputSymbols[i]!.map((s): Expected => {
      switch (s.kind) {
        case 'op':
          return { k: 'op', op: s.op, out: s.out };
        case 'arg':
          return { k: 'arg', index: s.index };
        case 'var':
          return { k: 'var', name: s.name };
        case 'const': {
          const ordinal = rec.constOrdinal.get(s.id)!;
          if (perCall.has(ordinal)) return { k: 'pc', ordinal };
          return { k: 'bc', id: s.id, bytes: rec.consts.get(s.id)!.bytes };
        }
      }
    }),
  }));
  return { be, modelId, graph, ops, fetches, perCall: perCall.size };
}

function attrsEqual(a: OpAttr[], b: OpAttr[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name || x.type !== y.type) return false;
    if (x.value === y.value) continue;
    if (!Array.isArray(x.value) || !Array.isArray(y.value) || x.value.length !== y.value.length) return false;
    for (let j = 0; j < x.value.length; j++) if (x.value[j] !== y.value[j]) return false;
  }
  return true;
}

function bytesOf(v: ArrayBufferView | unknown): Uint8Array | null {
  if (v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return null;
}

const sameBytes = (a: Uint8Array | null, b: Uint8Array): boolean => a !== null && Buffer.compare(a, b) === 0;

export interface ShadowOutcome<R> {
  result: R;
  /** why this call left the graph and finished eagerly (null: it ran as one session run) */
  recovered: string | null;
  /** ms in the session run, and in the whole call (JS shadow pass + session + bookkeeping) */
  sessionMs: number;
  totalMs: number;
  /** ops the shadow pass issued */
  ops: number;
}

/** Thrown when the shadow pass could not start (nothing of the step ran). */
export class ShadowSetupError extends Error {}

type BackendWithOutput = NodeBackend & { createOutputTensor(meta: TensorMetadata): tf.Tensor };

/** Run one call of `fn` through the shadow pass (see the file comment). */
export function runShadow<R extends StepResult>(plan: ShadowPlan, fn: (...args: tf.Tensor[]) => R, args: tf.Tensor[]): ShadowOutcome<R> {
  const be = plan.be as BackendWithOutput;
  const real: Binding = be.binding;
  const { graph, ops } = plan;
  // Real ids of the feeds that exist before the call (this materialises lazily written tensors).
  let argIds: number[];
  const varIds = new Map<string, number>();
  try {
    argIds = args.map((a) => nativeId(be, a));
    const registry = tf.engine().state.registeredVariables;
    for (const f of graph.feeds) {
      if (f.kind !== 'var') continue;
      const v = registry[f.name];
      if (!v) throw new Error(`variable ${f.name} was disposed`);
      varIds.set(f.name, nativeId(be, v));
    }
  } catch (err) {
    throw new ShadowSetupError(err instanceof Error ? err.message : String(err));
  }

  let nextFake = -2;
  let count = 0; // ops issued in shadow
  const fakeOut: number[][] = [];
  const log: { name: string; attrs: OpAttr[]; ids: number[]; n: number; outs: number[] }[] = [];
  const fakeData = new Map<number, object>(); // fake id → dataId of the tensor made for it
  const fakeReal = new Map<number, number>(); // fake id → real id, once known and applied
  const pcIds: number[] = [];
  const created = new Map<number, Uint8Array | null>();
  const deferred: number[] = [];
  let state: 'shadow' | 'ran' | 'real' = 'shadow';
  let recovered: string | null = null;

  const translate = (id: number): number => {
    if (id >= 0) return id;
    const r = fakeReal.get(id);
    if (r === undefined) throw new Error(`internal error: fake tensor ${id} has no value`);
    return r;
  };

  /** Give every fake tensor still alive its real id; delete real ids nobody holds. */
  const apply = (fresh: Map<number, number>): void => {
    for (const [fake, id] of fresh) {
      const dataId = fakeData.get(fake);
      const info = dataId && be.tensorMap.has(dataId) ? be.tensorMap.get(dataId)! : null;
      if (info && info.id === fake && !fakeReal.has(fake)) {
        info.id = id;
        fakeReal.set(fake, id);
      } else if (!fakeReal.has(fake) && !dataId && state === 'real') {
        fakeReal.set(fake, id); // no tensor was made for it (a kernel used the id itself): keep for translate
        deferred.push(id);
      } else {
        real.deleteTensor(id);
      }
    }
  };

  let sessionMs = 0;
  const started = performance.now();
  const runSession = (): void => {
    const t0 = performance.now();
    const ids = graph.feeds.map((f) => (f.kind === 'arg' ? argIds[f.index]! : f.kind === 'var' ? varIds.get(f.name)! : pcIds[f.ordinal]!));
    let metas: TensorMetadata[];
    try {
      metas = real.runSavedModel(plan.modelId, ids, graph.feedNames.join(','), graph.fetchNames.join(','));
    } catch (err) {
      recover(`the session run failed: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
      return;
    }
    state = 'ran';
    const fresh = new Map<number, number>();
    metas.forEach((m, k) => {
      const s = plan.fetches[k]!;
      fresh.set(fakeOut[s.op]![s.out]!, m.id);
    });
    apply(fresh);
    sessionMs += performance.now() - t0;
  };

  /** Replay every op issued so far on the real binding; the rest of the call runs eagerly. */
  const recover = (why: string): void => {
    recovered ??= why;
    const replayed = new Map<number, number>();
    for (const e of log) {
      const outs = real.executeOp(e.name, e.attrs, e.ids.map((id) => (id >= 0 ? id : replayed.get(id)!)), e.n);
      outs.forEach((m, j) => replayed.set(e.outs[j]!, m.id));
    }
    state = 'real';
    apply(replayed);
  };

  const matches = (i: number, name: string, attrs: OpAttr[], ids: number[], n: number): string | null => {
    const rec = ops[i];
    if (!rec) return `op ${i} (${name}) is beyond the recording's ${ops.length} ops`;
    if (rec.op !== name || rec.outputs.length !== n || rec.inputs.length !== ids.length) return `op ${i} is ${name}, the recording's is ${rec.op}`;
    if (!attrsEqual(attrs, rec.attrs)) return `op ${i} (${name}) has other attributes`;
    for (let k = 0; k < ids.length; k++) {
      const e = rec.inputs[k]!;
      const id = ids[k]!;
      let ok: boolean;
      switch (e.k) {
        case 'op':
          ok = fakeOut[e.op]?.[e.out] === id;
          break;
        case 'arg':
          ok = argIds[e.index] === id;
          break;
        case 'var':
          ok = varIds.get(e.name) === id;
          break;
        case 'pc':
          ok = id >= 0 && (pcIds[e.ordinal] ?? id) === id;
          if (ok) pcIds[e.ordinal] = id;
          break;
        case 'bc':
          ok = id === e.id || (id >= 0 && sameBytes(created.has(id) ? created.get(id)! : bytesOf(real.tensorDataSync(id)), e.bytes));
          break;
      }
      if (!ok) return `input ${k} of op ${i} (${name}) is not what the recording had (${e.k === 'bc' || e.k === 'pc' ? 'a constant' : e.k})`;
    }
    return null;
  };

  if (Object.prototype.hasOwnProperty.call(be, 'createOutputTensor')) throw new Error('internal error: the backend has its own createOutputTensor');
  const protoCreate = Object.getPrototypeOf(be).createOutputTensor as (this: NodeBackend, m: TensorMetadata) => tf.Tensor;
  be.createOutputTensor = function (m: TensorMetadata): tf.Tensor {
    const t = protoCreate.call(this, m);
    if (m.id < 0) fakeData.set(m.id, t.dataId);
    return t;
  };

  let result!: R;
  try {
    withBinding(
      be,
      {
        executeOp: (name, attrs, ids, n) => {
          if (state === 'shadow') {
            const why = matches(count, name, attrs, ids, n);
            if (why === null) {
              const outs = ops[count]!.outputs.map((m) => ({ id: nextFake--, shape: m.shape, dtype: m.dtype }));
              const fakes = outs.map((m) => m.id);
              fakeOut.push(fakes);
              log.push({ name, attrs, ids, n, outs: fakes });
              count++;
              return outs;
            }
            recover(why);
          } else if (state === 'ran') {
            recover(`op ${count} (${name}) came after the recording's last op`);
          }
          return real.executeOp(name, attrs, ids.map(translate), n);
        },
        createTensor: (shape, dtype, values) => {
          const id = real.createTensor(shape, dtype, values);
          if (state === 'shadow') created.set(id, bytesOf(values));
          return id;
        },
        deleteTensor: (id) => {
          if (id >= 0) deferred.push(id);
        },
        tensorDataSync: (id) => {
          if (id < 0 && !fakeReal.has(id)) {
            if (state === 'shadow' && count === ops.length) runSession();
            if (!fakeReal.has(id)) recover(state === 'shadow' ? `a value was read back after op ${count} of ${ops.length}` : 'a value the graph does not fetch was read');
          }
          return real.tensorDataSync(translate(id));
        },
      },
      () => {
        try {
          result = fn(...args);
        } finally {
          if (state === 'shadow') {
            if (count === ops.length) runSession();
            else recover(`the call issued ${count} of the recording's ${ops.length} ops`);
          }
          // Any fake tensor still alive that the graph did not fetch: compute it for real.
          for (const [fake, dataId] of state === 'real' ? [] : fakeData) {
            if (!fakeReal.has(fake) && be.tensorMap.has(dataId) && be.tensorMap.get(dataId)!.id === fake) {
              recover('a tensor the call kept is not one the graph fetches');
              break;
            }
          }
        }
      },
    );
  } finally {
    delete (be as Partial<BackendWithOutput>).createOutputTensor;
    for (const id of deferred) real.deleteTensor(id);
  }
  return { result, recovered, sessionMs, totalMs: performance.now() - started, ops: count };
}
