/**
 * `compileStep(fn)`: run a training step as one TensorFlow graph on the native backend.
 *
 *   const step = compileStep((x, y) => optimizer.minimize(() => loss(model.apply(x), y), true));
 *   const loss = step(xBatch, yBatch);   // same contract as calling fn eagerly
 *
 * The step returns tensors (fetched from the graph), nothing, or a number that it read from a
 * scalar tensor as its very last action (`return loss.dataSync()[0]`: the graph fetches that
 * scalar). Side effects in JavaScript other than optimisers' iteration counters are not replayed.
 *
 * Call 1 runs eagerly (optimisers create their slot variables on their first step). Calls 2
 * and 3 run eagerly while the binding records every op (trace.ts); if both recordings describe
 * the same graph, it is written as a variables-free SavedModel (weights, optimiser state and the
 * arguments are placeholders; results and every reassigned variable are fetches), loaded once
 * with the binding's `loadSavedModel`, and every later call is one `runSavedModel` session run
 * whose outputs are assigned back to the variables. Otherwise, and on every backend but
 * 'tensorflow', the step keeps running eagerly and `reason` says why (logged once).
 *
 * A call whose argument shapes differ from the traced ones (e.g. a last, smaller batch) runs
 * eagerly. Off switch: COURSE_GRAPH=0.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type NodeBackend, nativeId, nodeBackend } from './binding.js';
import { type BuiltGraph, DT, type Feed, buildGraph } from './build.js';
import { GRAPH_TAG, encodeSavedModel } from './proto.js';
import { type ShadowPlan, ShadowSetupError, planShadow, runShadow } from './shadow.js';
import { type OpOut, type Recording, type StepResult, canonical, constHashes, firstDifference, recordStep } from './trace.js';

export type StepMode = 'tracing' | 'graph' | 'eager';

export interface CompiledStep<R extends StepResult> {
  (...args: tf.Tensor[]): R;
  /** 'tracing' for the first 3 calls, then 'graph' or 'eager' */
  readonly mode: StepMode;
  /** why the step runs eagerly (null while tracing or when compiled) */
  readonly reason: string | null;
  /** nodes in the compiled graph, placeholders and constants included (0 unless mode is 'graph') */
  readonly opCount: number;
  /** true when each call runs the step's JavaScript as a shadow pass (shadow.ts) before the session run */
  readonly shadow: boolean;
  /** shadow-pass calls that left the graph and finished eagerly (shadow.ts), and the first reason */
  readonly recoveries: { count: number; first: string | null };
  /** shadow-pass calls so far: their time in session runs and in total (ms), and ops shadowed */
  readonly shadowTiming: { calls: number; sessionMs: number; totalMs: number; ops: number };
  /** release the TensorFlow session */
  dispose(): void;
}

export interface CompileOptions {
  /** a name for log lines */
  name?: string;
  /** where the one fallback line goes (default console.error; null: silent) */
  log?: ((line: string) => void) | null;
  /**
   * allow the shadow pass for steps whose constants change per call or that return plain
   * objects (default true; COURSE_GRAPH_SHADOW=0 turns it off everywhere)
   */
  shadow?: boolean;
}

/** Consecutive shadow-pass calls that left the graph before compileStep gives up on it. */
const MAX_RECOVERIES = 3;

/** GraphDef producer version written into the graph (≤ libtensorflow 2.9's own). */
const PRODUCER = 1000;

const dtypeEnum = (dtype: tf.DataType): number => {
  const v = (DT as Record<string, number>)[dtype];
  if (v === undefined) throw new Error(`dtype ${dtype} can't be a graph input`);
  return v;
};

interface Loaded {
  be: NodeBackend;
  modelId: number;
  graph: BuiltGraph;
  argShapes: string;
  vars: Map<string, tf.Variable>;
  iterated: tf.Optimizer[];
  shadow: ShadowPlan | null;
}

function loadGraph(be: NodeBackend, graph: BuiltGraph): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'course-graph-'));
  try {
    writeFileSync(path.join(dir, 'saved_model.pb'), encodeSavedModel(graph.nodes, PRODUCER));
    return be.binding.loadSavedModel(dir, GRAPH_TAG);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const shapesKey = (args: tf.Tensor[]): string => args.map((a) => `${a.dtype}[${a.shape.join('x')}]`).join(',');

/**
 * Wrap a synchronous step function `(…tensors) => loss | [tensors] | null` so that, on the native
 * backend, it runs as one compiled TensorFlow graph from its 4th call on. See the file comment.
 */
export function compileStep<R extends StepResult>(fn: (...args: tf.Tensor[]) => R, opts: CompileOptions = {}): CompiledStep<R> {
  const log = opts.log === undefined ? (l: string) => console.error(l) : opts.log;
  const label = opts.name ? ` (${opts.name})` : '';
  let calls = 0;
  let mode: StepMode = process.env.COURSE_GRAPH === '0' ? 'eager' : 'tracing';
  let reason: string | null = mode === 'eager' ? 'COURSE_GRAPH=0' : null;
  let previous: { text: string; shapes: string; hashes: string[] } | null = null;
  let loaded: Loaded | null = null;
  let resultKind: ResultKind = 'single';
  const shadowAllowed = opts.shadow !== false && process.env.COURSE_GRAPH_SHADOW !== '0';
  const recoveries = { count: 0, first: null as string | null };
  let inARow = 0;
  const timing = { calls: 0, sessionMs: 0, totalMs: 0, ops: 0 };

  const release = (): void => {
    if (loaded) loaded.be.binding.deleteSavedModel(loaded.modelId);
    loaded = null;
  };
  const giveUp = (why: string): void => {
    mode = 'eager';
    reason = why;
    log?.(`[course] training step${label} runs eagerly: ${why}`);
  };

  const compiled = ((...args: tf.Tensor[]): R => {
    calls++;
    if (mode === 'eager') return fn(...args);
    if (mode === 'graph' && loaded) {
      if (shapesKey(args) !== loaded.argShapes || tf.getBackend() !== 'tensorflow') return fn(...args);
      if (loaded.shadow) {
        let out: ReturnType<typeof runShadow<R>>;
        try {
          out = runShadow(loaded.shadow, fn, args);
        } catch (err) {
          if (!(err instanceof ShadowSetupError)) throw err; // the step itself threw (its state is eager's)
          release();
          giveUp(`the compiled step failed (${err.message.split('\n')[0]})`);
          return fn(...args);
        }
        timing.calls++;
        timing.sessionMs += out.sessionMs;
        timing.totalMs += out.totalMs;
        timing.ops += out.ops;
        if (out.recovered) {
          recoveries.count++;
          if (recoveries.first === null) {
            recoveries.first = out.recovered;
            log?.(`[course] training step${label}: a call left the graph and finished eagerly: ${out.recovered}`);
          }
          if (++inARow >= MAX_RECOVERIES) {
            release();
            giveUp(`${MAX_RECOVERIES} calls in a row did not follow the recorded graph (${out.recovered})`);
          }
        } else inARow = 0;
        return out.result;
      }
      try {
        return runGraph(loaded, args, resultKind);
      } catch (err) {
        // e.g. a variable the graph feeds was disposed: give up on the graph, keep training
        release();
        giveUp(`the compiled step failed (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`);
        return fn(...args);
      }
    }
    const be = nodeBackend();
    if (!be) {
      giveUp(`the active backend is '${tf.getBackend()}', graphs need the native 'tensorflow' backend`);
      return fn(...args);
    }
    if (calls === 1) return fn(...args);
    const rec = recordStep(be, fn, args);
    resultKind = rec.numberResult ? 'number' : rec.resultKind === 'array' ? 'array' : 'single';
    if (rec.problem) {
      giveUp(rec.problem);
      return rec.result;
    }
    const text = canonical(rec);
    const hashes = constHashes(rec);
    const shapes = shapesKey(args);
    if (!previous || previous.shapes !== shapes) {
      previous = { text, shapes, hashes }; // (a smaller last batch came between: trace again)
      return rec.result;
    }
    if (previous.text !== text) {
      giveUp(`two calls of the step ran different ops (${firstDifference(previous.text, text)}); values read back mid-step or JavaScript control flow that changes per call do that`);
      return rec.result;
    }
    const perCall = new Set<number>();
    hashes.forEach((h, k) => {
      if (previous!.hashes[k] !== h) perCall.add(k);
    });
    const needsShadow = perCall.size > 0 ? `${perCall.size} constant(s) differ per call (random numbers drawn in JavaScript, a JS counter)` : rec.needsShadow;
    if (needsShadow && !shadowAllowed) {
      giveUp(`two calls of the step ran different ops or used different constant values, or it returns what JavaScript computed (${needsShadow}), and the shadow pass that runs such steps is off`);
      return rec.result;
    }
    try {
      loaded = needsShadow ? loadShadow(be, rec, args, shapes, perCall) : load(be, rec, args, shapes);
      mode = 'graph';
    } catch (err) {
      giveUp(`TensorFlow could not load the traced graph: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
    }
    return rec.result;
  }) as CompiledStep<R>;

  Object.defineProperties(compiled, {
    mode: { get: () => mode },
    reason: { get: () => reason },
    opCount: { get: () => (loaded ? loaded.graph.nodes.length : 0) },
    shadow: { get: () => loaded?.shadow != null },
    recoveries: { get: () => ({ ...recoveries }) },
    shadowTiming: { get: () => ({ ...timing }) },
    dispose: {
      value: () => {
        release();
        if (mode !== 'eager') mode = 'eager';
        reason ??= 'disposed';
      },
    },
  });
  return compiled;
}

function load<R extends StepResult>(be: NodeBackend, rec: Recording<R>, args: tf.Tensor[], argShapes: string): Loaded {
  const vars = new Map(rec.varsRead);
  for (const name of rec.updates.map((u) => u.name)) vars.set(name, tf.engine().state.registeredVariables[name]!);
  const shapeOfFeed = (f: Feed) => {
    if (f.kind === 'const') throw new Error('internal error: a per-call constant without a shadow pass');
    const t = f.kind === 'arg' ? args[f.index]! : vars.get(f.name)!;
    return { shape: t.shape, dtype: dtypeEnum(t.dtype) };
  };
  const graph = buildGraph(be.binding, rec, shapeOfFeed);
  const modelId = loadGraph(be, graph);
  return { be, modelId, graph, argShapes, vars, iterated: rec.iterated, shadow: null };
}

/**
 * The graph for the shadow pass: per-call constants become placeholders; the fetches are every
 * op output alive when the recorded call returned, plus those read back at its end.
 */
function loadShadow<R extends StepResult>(be: NodeBackend, rec: Recording<R>, args: tf.Tensor[], argShapes: string, perCall: Set<number>): Loaded {
  const constById = new Map<number, number>();
  for (const [id, k] of rec.constOrdinal) constById.set(k, id);
  const shapeOfFeed = (f: Feed) => {
    if (f.kind === 'const') {
      const c = rec.consts.get(constById.get(f.ordinal)!)!;
      return { shape: c.shape, dtype: c.dtype };
    }
    const t = f.kind === 'arg' ? args[f.index]! : rec.varsRead.get(f.name)!;
    return { shape: t.shape, dtype: dtypeEnum(t.dtype) };
  };
  const fetches: OpOut[] = [...rec.alive];
  for (const r of rec.endReads) if (!fetches.some((f) => f.op === r.op && f.out === r.out)) fetches.push(r);
  const graph = buildGraph(be.binding, rec, shapeOfFeed, { perCall, fetches: fetches.map((f) => ({ kind: 'op', ...f })) });
  const modelId = loadGraph(be, graph);
  const shadow = planShadow(be, rec, perCall, modelId, graph, fetches);
  return { be, modelId, graph, argShapes, vars: new Map(rec.varsRead), iterated: rec.iterated, shadow };
}

type ResultKind = 'single' | 'array' | 'number';

function runGraph<R extends StepResult>(l: Loaded, args: tf.Tensor[], kind: ResultKind): R {
  const { be, graph } = l;
  const ids = graph.feeds.map((f) => nativeId(be, f.kind === 'arg' ? args[f.index]! : l.vars.get((f as { name: string }).name)!));
  const metas = be.binding.runSavedModel(l.modelId, ids, graph.feedNames.join(','), graph.fetchNames.join(','));
  const outs = metas.map((m) => be.createOutputTensor(m));
  graph.updates.forEach((name, k) => {
    const t = outs[graph.resultCount + k]!;
    l.vars.get(name)!.assign(t);
    t.dispose();
  });
  for (const opt of l.iterated) (opt as unknown as { incrementIterations(): void }).incrementIterations();
  const results = outs.slice(0, graph.resultCount);
  if (kind === 'number') {
    const value = results[0]!.dataSync()[0]!;
    results[0]!.dispose();
    return value as R;
  }
  return (kind === 'array' ? results : graph.resultCount === 0 ? null : results[0]) as R;
}
