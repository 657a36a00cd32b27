/**
 * Hidden tests that the parent judges (issue 21 item 4(c)); the worker side. A hidden test calls
 * the submission on its inputs and sends what came back with `observe(key, value)`; it asserts
 * nothing about those values. The expected values and tolerances live in `<name>.judge.ts`
 * beside the hidden test, which only the grader's parent process loads (lib/grader/judge.ts) and
 * which is never staged: the submission's process never holds them, so no grep, patch of
 * `expect` or forged verdict can recover or satisfy them. docs/GRADER.md "Judged hidden tests".
 *
 *   import { observe } from '@course/lib/grader/observe.js';
 *   test('hidden: countParameters of a 4-5-3 net', () => {
 *     observe('count', countParameters([4, 5, 3]));
 *   });
 *
 * Values: numbers (NaN and ±Infinity kept as the strings 'NaN', 'Infinity', '-Infinity'),
 * strings, booleans, null, arrays, plain objects, typed arrays and tf tensors (as nested arrays,
 * `arraySync()`; the tensor is not disposed). At most 256 kB per observation.
 */
import fs from 'node:fs';
import { expect } from 'vitest';
import { MAX_OBSERVATION_CHARS, OBSERVE_CHANNEL, OBSERVE_MARK } from './observe-mark.js';

export { MAX_OBSERVATION_CHARS, OBSERVE_MARK };

// captured at import, before the test file imports the submission
const writeSync = fs.writeSync;
const stringify = JSON.stringify;
/**
 * Only a graded run (lib/grader/runner.ts sets COURSE_GRADER_RUN) has a parent that reads the
 * lines and judges them. Plain `npm test` / vitest and `course watch`'s warm checker do not: there
 * observe() sends nothing (no stray lines on the student's terminal) and the test's own
 * assertions are the whole check.
 */
const graded = !!process.env.COURSE_GRADER_RUN;

interface TensorLike {
  shape: number[];
  arraySync(): unknown;
}

function isTensor(v: object): v is TensorLike {
  return Array.isArray((v as { shape?: unknown }).shape) && typeof (v as { arraySync?: unknown }).arraySync === 'function';
}

/** A JSON-safe copy of what the submission returned. */
export function observable(value: unknown, depth = 0): unknown {
  if (depth > 32) throw new Error('observe: value nested deeper than 32 levels');
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>, (v) => observable(v, depth + 1));
  if (Array.isArray(value)) return value.map((v) => observable(v, depth + 1));
  if (typeof value === 'object') {
    if (isTensor(value)) return observable(value.arraySync(), depth + 1);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = observable(v, depth + 1);
    return out;
  }
  return String(value);
}

/** Send one observation of the running test to the grader's parent, which judges it (graded runs only). */
export function observe(key: string, value: unknown): void {
  // a graded run: the channel frozen before any submission code ran (observe-channel.ts)
  const channel = (globalThis as Record<symbol, unknown>)[OBSERVE_CHANNEL] as ((key: string, value: unknown) => void) | undefined;
  if (channel) return channel(key, observable(value));
  if (!graded) return;
  const test = expect.getState().currentTestName;
  if (!test) throw new Error(`observe('${key}') must be called inside a test`);
  const line = stringify({ test, key, value: observable(value) });
  if (line.length > MAX_OBSERVATION_CHARS) throw new Error(`observe('${key}'): the value is too large (${line.length} characters, at most ${MAX_OBSERVATION_CHARS})`);
  writeSync(2, `\n${OBSERVE_MARK} ${line}\n`);
}
