/**
 * What a running `course train` collects while the exercise's train.ts runs, without threading it
 * through every call: the per-step log (written by trainLoop, fitModel and trainEpoch) and the
 * figures lib/plot writes. `withRunContext(ctx, fn)` opens it (the CLI does); inside, library code
 * reaches it with `runContext()`. Outside (graded tests, a plain script) there is none and the
 * loops only keep their own history, as before.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { StepLog, type CurveData, type CurveRecorder } from './step-log.js';

/** A figure file lib/plot wrote (PNG), with what the report needs to caption and check it. */
export interface WrittenFigure {
  /** the PNG */
  file: string;
  /** the same figure as vector graphics, beside the PNG */
  vector: string[];
  /** the chart's title (the default caption) */
  title: string;
  kind: 'line' | 'bar' | 'heatmap' | 'regions' | 'images';
  /** text that is clipped or overlaps other text (lib/plot/layout.ts); [] when the layout is clean */
  layoutProblems: string[];
}

export interface RunContext {
  log: StepLog;
  figures: WrittenFigure[];
  /** listeners told about every figure as it is written (the live page) */
  onFigure: Set<(f: WrittenFigure) => void>;
  /** prepended to every curve name opened inside `withCurvePrefix` (e.g. "seed 43 · ") */
  prefix: string;
  /** the curve trainEpoch writes to (set by `withCurve`) */
  curve: CurveRecorder | null;
  /** curves some figure of the run has drawn (the report adds charts for the others) */
  drawnCurves: Set<CurveData>;
  /** curves the report should not chart on its own (e.g. the other seeds of a repeated comparison) */
  omitted: ((name: string) => boolean)[];
}

const store = new AsyncLocalStorage<RunContext>();

export function newRunContext(): RunContext {
  return { log: new StepLog(), figures: [], onFigure: new Set(), prefix: '', curve: null, drawnCurves: new Set(), omitted: [] };
}

export function withRunContext<T>(ctx: RunContext, fn: () => T): T {
  return store.run(ctx, fn);
}

export function runContext(): RunContext | undefined {
  return store.getStore();
}

/** lib/plot calls this for every figure it writes. */
export function noteFigure(f: WrittenFigure): void {
  const ctx = store.getStore();
  if (!ctx) return;
  const at = ctx.figures.findIndex((g) => g.file === f.file);
  if (at >= 0) ctx.figures[at] = f;
  else ctx.figures.push(f);
  for (const l of ctx.onFigure) l(f);
}

/** lib/plot/curves.ts calls this for the curves a chart drew. */
export function noteCurvesDrawn(curves: CurveData[]): void {
  const ctx = store.getStore();
  for (const c of curves) ctx?.drawnCurves.add(c);
}

/**
 * Leave the curves whose names pass `test` out of the report's automatic charts (they stay in
 * metrics.json, TensorBoard and `course compare`): e.g. the seeds after the first of a comparison
 * whose figures show the first seed's curves.
 */
export function omitCurvesFromReport(test: (name: string) => boolean): void {
  store.getStore()?.omitted.push(test);
}

/** Curves opened inside `fn` get `prefix` before their name (e.g. one seed of a repeated comparison). */
export function withCurvePrefix<T>(prefix: string, fn: () => T): T {
  const ctx = store.getStore();
  if (!ctx) return fn();
  return store.run({ ...ctx, prefix: ctx.prefix + prefix }, fn);
}

/**
 * Loops that have no name of their own (trainEpoch: one call = one epoch) log into a new curve
 * `name` (after the current prefix) while `fn` runs; `fn` gets that curve (null outside a run),
 * e.g. to add per-epoch values it measured itself with `setEpochValues`.
 */
export function withCurve<T>(name: string, fn: (curve: CurveRecorder | null) => T): T {
  const ctx = store.getStore();
  if (!ctx) return fn(null);
  const curve = ctx.log.freshCurve(ctx.prefix + name);
  return store.run({ ...ctx, curve }, () => fn(curve));
}

/** A new curve for a loop named `name` in the current run, or null outside a run. */
export function openCurve(name: string): CurveRecorder | null {
  const ctx = store.getStore();
  return ctx ? ctx.log.freshCurve(ctx.prefix + name) : null;
}

/** The curve set by `withCurve` (trainEpoch logs there), or null. */
export function currentCurve(): CurveRecorder | null {
  return store.getStore()?.curve ?? null;
}

/** A curve outside any run (a loop's own record, returned in its result). */
export function standaloneCurve(name: string): CurveRecorder {
  return new StepLog().curve(name);
}
