/**
 * Last setup file of the warm checker's long-lived test worker (see warm-reset.ts). Its first run
 * records the process as it is before any submission code ran; at the end of every run it says
 * whether the run left the process different in a way a later run could see, in the state file
 * COURSE_WARM_STATE that lib/cli/warm-main.mjs reads: "clean", or "dirty <what>" lines, and then
 * the worker is replaced by a fresh one (in the background, before the next run). Dirty are: a
 * replaced function of tfjs, vitest/chai or a JS built-in, or a key added to or changed on a
 * built-in prototype (lib/grader/integrity.ts, as the graded tamper checks watch), another backend, a changed tfjs flag, an open tfjs scope, tensors still
 * being made after the run ended (an un-awaited training loop), a test that timed out (its code
 * may still run), changed environment variables or working folder, new globals, and a heap or
 * tensor memory above its limit.
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, chai, expect } from 'vitest';
import { IntegrityGuard, watchPrototypeKeys, watchTestGlobals } from '../../lib/grader/integrity.js';

interface Baseline {
  guard: IntegrityGuard;
  backend: string;
  flags: Record<string, unknown>;
  env: string;
  cwd: string;
  globals: Set<string | symbol>;
}

const stateFile = process.env.COURSE_WARM_STATE;
const heapMb = Number(process.env.COURSE_GRADER_HEAP_MB ?? 2048);
const MAX_TENSOR_BYTES = 1 << 30;
const KEY = Symbol.for('course.warm.baseline');

/** vitest sets these per run, the harness and this file keep theirs under Symbol.for('course.…'): not the submission's doing */
const ours = (k: string | symbol) => (typeof k === 'string' ? /^(__vitest|__VITEST|VITEST_)/.test(k) : Boolean(k.description?.startsWith('course.')));

const envText = () =>
  JSON.stringify(
    Object.entries(process.env)
      .filter(([k]) => !ours(k))
      .sort(),
  );

function record(): Baseline {
  const guard = new IntegrityGuard();
  watchTestGlobals(guard, { tf, expect, chai });
  watchPrototypeKeys(guard);
  return { guard, backend: tf.getBackend(), flags: { ...tf.env().getFlags() }, env: envText(), cwd: process.cwd(), globals: new Set(Reflect.ownKeys(globalThis)) };
}

const store = globalThis as Record<symbol, Baseline | undefined>;
const baseline = (store[KEY] ??= record());

interface TaskLike {
  type: string;
  tasks?: TaskLike[];
  result?: { errors?: { message?: string }[] };
}

function timedOut(t: TaskLike): boolean {
  if (t.tasks) return t.tasks.some(timedOut);
  return (t.result?.errors ?? []).some((e) => /timed out/i.test(e.message ?? ''));
}

async function dirt(file: TaskLike): Promise<string[]> {
  const found = baseline.guard.check().slice(0, 3);
  if (tf.getBackend() !== baseline.backend) found.push(`backend is ${tf.getBackend()}, was ${baseline.backend}`);
  const flags = tf.env().getFlags();
  for (const [k, v] of Object.entries(baseline.flags)) if (k in flags && flags[k] !== v) found.push(`tfjs flag ${k} changed`);
  const state = (tf.engine() as unknown as { state: { scopeStack: unknown[]; gradientDepth: number; kernelDepth: number } }).state;
  if (state.scopeStack.length > 0 || state.gradientDepth > 0 || state.kernelDepth > 0) found.push('a tfjs scope is still open');
  if (timedOut(file)) found.push('a test timed out');
  if (envText() !== baseline.env) found.push('process.env changed');
  if (process.cwd() !== baseline.cwd) found.push('the working folder changed');
  const added = Reflect.ownKeys(globalThis).filter((k) => !baseline.globals.has(k) && !ours(k));
  if (added.length > 0) found.push(`new globals: ${added.slice(0, 3).map(String).join(', ')}`);
  if (tf.memory().numBytes > MAX_TENSOR_BYTES) found.push(`${(tf.memory().numBytes / 2 ** 20).toFixed(0)} MB of tensors left`);
  if (process.memoryUsage().heapUsed > heapMb * 0.5 * 2 ** 20) found.push('heap over half its limit');
  // a loop the tests did not await keeps making tensors after the run
  const before = tf.memory().numTensors;
  await new Promise((r) => setTimeout(r, 30));
  if (tf.memory().numTensors !== before) found.push('tensors are still being made after the tests ended');
  return found;
}

afterAll(async (file) => {
  if (!stateFile) return;
  const found = await dirt(file as unknown as TaskLike);
  fs.appendFileSync(stateFile, found.length === 0 ? 'clean\n' : found.map((d) => `dirty ${d}\n`).join(''));
});
