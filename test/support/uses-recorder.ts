/**
 * Runs inside a vitest worker during a recording run (lib/grader/uses.ts): wraps each export of
 * the reference module in a Proxy that notes which test called it. Calls made outside a test
 * (a describe's beforeAll that trains a model the tests then inspect) are noted as "hook" calls;
 * the recording gives them to the tests of the suite that starts next.
 */
import fs from 'node:fs';
import { beforeEach, expect } from 'vitest';

const out = process.env.COURSE_USES_OUT;

function note(line: string): void {
  if (out) fs.appendFileSync(out, `${line}\n`);
}

beforeEach(() => {
  note(JSON.stringify({ start: expect.getState().currentTestName ?? '' }));
});

/** The export unchanged, or, for a function or class, a Proxy that records each call/construct. */
export function wrap<T>(name: string, value: T): T {
  if (typeof value !== 'function') return value;
  const record = () => note(JSON.stringify({ call: name, test: expect.getState().currentTestName ?? null }));
  return new Proxy(value, {
    apply(target, self, args) {
      record();
      return Reflect.apply(target as (...a: unknown[]) => unknown, self, args);
    },
    construct(target, args, newTarget) {
      record();
      return Reflect.construct(target as new (...a: unknown[]) => object, args, newTarget);
    },
  });
}
