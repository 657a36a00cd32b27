/**
 * The observation channel of judged tests (lib/grader/observe.ts), installed by a setup file the
 * grade config loads before any other (lib/grader/vitest.grade.config.ts): it runs in the worker
 * before the test file, so before any submission code. Everything it uses is captured here, at
 * that moment: the write to the worker's stderr (the pipe the parent reads), JSON.stringify, and
 * the running test's name, kept by its own hooks rather than read from expect's shared state
 * (which `expect.setState` changes). The send function sits on a non-writable, non-configurable
 * global, so a submission can neither replace it nor make observe() write elsewhere or under
 * another test's name: patching `fs.writeSync`, `JSON.stringify` or expect's state at import
 * changes what its own calls compute at most, never where or for which test an observation goes.
 */
import fs from 'node:fs';
import { getTestName } from '@vitest/runner/utils';
import { afterEach, beforeEach } from 'vitest';
import { MAX_OBSERVATION_CHARS, OBSERVE_CHANNEL, OBSERVE_MARK } from './observe-mark.js';

const writeSync = fs.writeSync;
const stringify = JSON.stringify;
let running: string | null = null;

beforeEach((ctx) => {
  running = getTestName(ctx.task);
});
afterEach(() => {
  running = null;
});

/** Sends one observation (already JSON-safe: observe.ts observable) of the running test. */
function send(key: string, value: unknown): void {
  if (running === null) throw new Error(`observe('${key}') must be called inside a test`);
  const line = stringify({ test: running, key, value });
  if (line.length > MAX_OBSERVATION_CHARS) throw new Error(`observe('${key}'): the value is too large (${line.length} characters, at most ${MAX_OBSERVATION_CHARS})`);
  writeSync(2, `\n${OBSERVE_MARK} ${line}\n`);
}

Object.defineProperty(globalThis, OBSERVE_CHANNEL, { value: Object.freeze(send), writable: false, configurable: false, enumerable: false });
