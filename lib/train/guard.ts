/** Guards for training: NaN/Inf detection and a tensor-leak counter used by tests. */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';
import { tensorHooksInstalled, withOrigins } from '../grader/tensor-origins.js';

/** Throw a CourseError if any logged value is NaN or ±Infinity. */
export function checkFinite(logs: Record<string, number>, where: string): void {
  for (const [name, value] of Object.entries(logs)) {
    if (!Number.isFinite(value)) {
      throw new CourseError(
        `${name} became ${value} at ${where}`,
        'lower the learning rate, look for log(0) or a division by zero (add a small epsilon, or use the fromLogits form of the loss), and consider gradient clipping',
      );
    }
  }
}

/**
 * How many tensors one extra call of `fn` leaves behind (0 = no leak). The first call is a
 * warm-up (it may create lazily-built weights or optimizer slots); then `repeats` calls are
 * measured. Whatever `fn` returns is disposed if it is a tensor (or an array/object of them).
 * What was left is described by leakDetails() (the assertion message of a leak test).
 */
export async function countLeak(fn: () => unknown | Promise<unknown>, repeats = 3): Promise<number> {
  const run = async () => {
    const out = await fn();
    disposeDeep(out);
  };
  await run();
  const before = tf.memory().numTensors;
  const left = await survivors(async () => {
    for (let i = 0; i < repeats; i++) await run();
  });
  const perCall = (tf.memory().numTensors - before) / repeats;
  lastLeak = { perCall, tensors: summarise(left, repeats), madeAt: [] };
  // a leak: one more call with creation stacks recorded says which lines made what was left
  // (only then: a stack per tensor is too dear for every call)
  if (left.length > 0 && tensorHooksInstalled()) {
    let again: tf.Tensor[] = [];
    const made = await withOrigins(async () => {
      again = await survivors(run);
    });
    lastLeak.madeAt = madeAt(again, made);
  }
  return perCall;
}

/** "float32[16,64] ×2 at /…/04-dcgan/index.ts:141:20 in trainStep" per distinct tensor kind + line. */
function madeAt(tensors: tf.Tensor[], origin: (id: number) => string | undefined): string[] {
  const counts = new Map<string, number>();
  for (const t of tensors) {
    const at = origin(t.id);
    if (!at) continue;
    const key = `${t.dtype}[${t.shape.join(',')}]\u0000${at}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, n]) => {
      const [kind, at] = k.split('\u0000');
      return `${kind}${n === 1 ? '' : ` ×${n}`} made at ${at}`;
    });
}

interface ScopedEngine {
  startScope(name?: string): void;
  endScope(result?: unknown): void;
  state: { activeScope: { track: tf.Tensor[] } | null };
}

/**
 * The tensors `body` created that are still alive after it, found through a tfjs engine scope
 * (what tf.tidy uses). The scope's end disposes nothing `body` would not have: a leak stays a
 * leak, with the same count. Variables are not tracked by scopes (a leaked variable is counted,
 * not described).
 */
async function survivors(body: () => Promise<void>): Promise<tf.Tensor[]> {
  const engine = tf.engine() as unknown as ScopedEngine;
  engine.startScope('countLeak');
  const track = engine.state.activeScope?.track ?? [];
  let alive: tf.Tensor[] = [];
  try {
    await body();
  } finally {
    alive = track.filter((t) => !t.isDisposed);
    // handed to the scope's end as its result: not disposed, tracked by the enclosing scope as before
    engine.endScope(alive);
  }
  return alive;
}

/** "float32[16,64] ×2" per distinct dtype + shape, most frequent first (per call). */
function summarise(tensors: tf.Tensor[], repeats: number): string[] {
  const counts = new Map<string, number>();
  for (const t of tensors) {
    const key = `${t.dtype}[${t.shape.join(',')}]`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => (n / repeats === 1 ? k : `${k} ×${+(n / repeats).toFixed(2)}`));
}

let lastLeak: { perCall: number; tensors: string[]; madeAt: string[] } = { perCall: 0, tensors: [], madeAt: [] };

/**
 * The message for `expect(await countLeak(f), leakDetails()).toBe(0)`: "tensors leaked per call
 * (float32[16,64] ×2, int32[16]; float32[16,64] made at /…/04-dcgan/index.ts:141:20 in
 * trainStep)" — what the grader's feedback shows as "leaked: …" (the path cut to index.ts:141:20).
 * The lines come from the test setup's tensor hooks (lib/grader/tensor-origins.ts), when installed.
 */
export function leakDetails(): string {
  const parts = [lastLeak.tensors.join(', '), lastLeak.madeAt.length > 0 ? lastLeak.madeAt.join(', ') : ''].filter((p) => p !== '');
  return `tensors leaked per call${parts.length > 0 ? ` (${parts.join('; ')})` : ''}`;
}

function disposeDeep(value: unknown, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof tf.Tensor) {
    if (!value.isDisposed && !(value instanceof tf.Variable)) value.dispose();
    return;
  }
  if (value instanceof tf.LayersModel) return; // models own their weights
  for (const v of Array.isArray(value) ? value : Object.values(value)) disposeDeep(v, seen);
}
