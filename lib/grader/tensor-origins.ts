/**
 * Where a test's tensors came from, for the feedback of a failing test (issue 23): which
 * student line made the tensors a leak left behind, and which op first produced a NaN or an
 * Infinity. Two hooks on tfjs's engine class, installed once by test/support/setup.ts before the
 * grader harness records tfjs's prototypes (a later patch would read as tampering), and idle
 * (one flag test per call) until a diagnosis turns one on:
 *  - trackTensor (every new tensor) records the creation stack per tensor id, only inside
 *    withOrigins(): lib/train/guard.ts runs one extra call of a leaking function that way;
 *  - runKernel (every op) reads each output back and scans it for NaN/±Infinity, only inside
 *    watchNonFinite(): setup.ts re-runs a test that failed on a non-finite value that way.
 * Only the student's frames are kept: a file in an `NN-name/` exercise folder outside
 * node_modules (the submission, wherever the grader staged it); lib/grader/feedback.ts cuts the
 * absolute path down to the exercise folder.
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { cleanFunctionName, enclosingFunction, parseStack } from './feedback.js';

type KernelOut = tf.TensorInfo | tf.TensorInfo[];
interface EngineProto {
  trackTensor(this: unknown, t: tf.Tensor, backend: unknown): void;
  runKernel(this: unknown, name: string, inputs: Record<string, tf.TensorInfo>, attrs?: unknown): KernelOut;
  __courseTensorOrigins?: true;
}

let origins: Map<number, string> | null = null;
let finite: NonFiniteWatch | null = null;

/** Installs the two hooks on tfjs's engine class (once; idle until a diagnosis asks). */
export function installTensorHooks(): void {
  const proto = Object.getPrototypeOf(tf.engine()) as EngineProto;
  if (proto.__courseTensorOrigins) return;
  const track = proto.trackTensor;
  proto.trackTensor = function (t, backend) {
    if (origins) origins.set(t.id, new Error().stack ?? '');
    return track.call(this, t, backend);
  };
  const run = proto.runKernel;
  proto.runKernel = function (name, inputs, attrs) {
    const out = run.call(this, name, inputs, attrs);
    if (finite) finite.check(name, inputs, out);
    return out;
  };
  Object.defineProperty(proto, '__courseTensorOrigins', { value: true });
}

export function tensorHooksInstalled(): boolean {
  return (Object.getPrototypeOf(tf.engine()) as EngineProto).__courseTensorOrigins === true;
}

const sourceCache = new Map<string, string | null>();

/**
 * The student's frames of a stack, innermost first, one per function and at most three:
 * "/…/04-dcgan/index.ts:75:27 in bceWithLogits ← /…/04-dcgan/index.ts:139:14 in trainStep"
 * (a tensor made in a helper is kept or leaked by the function that called it).
 */
export function studentFrame(stack: string): string | undefined {
  const chain: { at: string; fn?: string }[] = [];
  for (const f of parseStack(stack)) {
    if (f.file.includes('/node_modules/') || f.file.includes('/test/support/') || !/\/\d\d-[\w-]+\/[^/]+\.[cm]?[jt]s$/.test(f.file)) continue;
    if (!sourceCache.has(f.file)) {
      try {
        sourceCache.set(f.file, fs.readFileSync(f.file, 'utf8'));
      } catch {
        sourceCache.set(f.file, null);
      }
    }
    const source = sourceCache.get(f.file);
    const fn = (source ? enclosingFunction(source, f.line) : undefined) ?? cleanFunctionName(f.fn);
    if (chain.length > 0 && chain[chain.length - 1]!.fn === fn) continue; // the same function further out (a tidy callback)
    chain.push({ at: `${f.file}:${f.line}:${f.column}`, fn });
    if (chain.length === 3) break;
  }
  return chain.length === 0 ? undefined : chain.map((c) => `${c.at}${c.fn ? ` in ${c.fn}` : ''}`).join(' ← ');
}

/**
 * Runs `body` recording every new tensor's creation stack; returns a lookup tensor id → the
 * student's line that made it (frames resolved only for the ids asked about).
 */
export async function withOrigins(body: () => Promise<void>): Promise<(id: number) => string | undefined> {
  const seen = new Map<number, string>();
  const outer = origins;
  origins = seen;
  try {
    await body();
  } finally {
    origins = outer;
  }
  return (id) => {
    const stack = seen.get(id);
    return stack === undefined ? undefined : studentFrame(stack);
  };
}

/** The first op whose output turned non-finite while its inputs were not, with the student's line. */
export interface NonFiniteOrigin {
  kernel: string;
  value: 'NaN' | 'Infinity' | '-Infinity';
  dtype: string;
  shape: number[];
  /** the innermost student frame when the op ran, "…/index.ts:92:20 in generatorLoss" */
  at?: string;
}

/** Thrown from inside an op to end a diagnostic re-run early (its first NaN is found, or time is up). */
export class StopDiagnosis extends Error {}

function scan(t: tf.TensorInfo): NonFiniteOrigin['value'] | undefined {
  if (t.dtype !== 'float32') return undefined;
  const engine = tf.engine() as unknown as { backend: { readSync(id: object): ArrayLike<number> } };
  let inf: NonFiniteOrigin['value'] | undefined;
  const values = engine.backend.readSync(t.dataId);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) return 'NaN';
    if (!inf && !Number.isFinite(v)) inf = v > 0 ? 'Infinity' : '-Infinity';
  }
  return inf;
}

class NonFiniteWatch {
  nan?: NonFiniteOrigin;
  inf?: NonFiniteOrigin;
  constructor(private readonly deadline: number) {}

  check(kernel: string, inputs: Record<string, tf.TensorInfo>, out: KernelOut): void {
    if (Date.now() > this.deadline) throw new StopDiagnosis('time is up');
    for (const t of Array.isArray(out) ? out : [out]) {
      const value = scan(t);
      if (!value) continue;
      const isNaN = value === 'NaN';
      if (isNaN ? this.nan : this.inf) continue;
      // an op that only passes on a NaN/Infinity it was given did not make it
      const given = Object.values(inputs)
        .flat()
        .map((i) => (i && typeof i === 'object' && 'dataId' in i ? scan(i) : undefined));
      if (given.some((g) => (isNaN ? g === 'NaN' : g !== undefined))) continue;
      const at = studentFrame(new Error().stack ?? '');
      if (!at) continue; // made by the test or tfjs itself (a test's own Infinity input), not by the student
      const origin = { kernel, value, dtype: t.dtype, shape: [...t.shape], at };
      if (isNaN) {
        this.nan = origin;
        throw new StopDiagnosis('found the first NaN');
      }
      this.inf = origin;
    }
  }
}

/**
 * Runs `body` with every op's output scanned: the first NaN a student line made (else the first
 * ±Infinity). Ends the run at the first NaN or after `budgetMs`; whatever `body` throws is
 * swallowed (the test already failed; this run only explains why).
 */
export async function watchNonFinite(body: () => unknown, budgetMs = 5000): Promise<NonFiniteOrigin | undefined> {
  const watch = new NonFiniteWatch(Date.now() + budgetMs);
  const outer = finite;
  finite = watch;
  try {
    await body();
  } catch {
    // the assertion failing again, or StopDiagnosis
  } finally {
    finite = outer;
  }
  return watch.nan ?? watch.inf;
}

/** " [first non-finite value: -Infinity from Log (output float32[8]) at /…/04-dcgan/index.ts:92:20 in generatorLoss]" */
export function describeNonFinite(o: NonFiniteOrigin): string {
  return ` [first non-finite value: ${o.value} from ${o.kernel} (output ${o.dtype}[${o.shape.join(',')}])${o.at ? ` at ${o.at}` : ''}]`;
}
