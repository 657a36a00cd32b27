/**
 * Telling an environment failure from a submission's bug, on the serialized errors the runner
 * receives (types.ts SerializedTestError). An error counts as the environment's when BOTH:
 *   1. it was thrown from inside a library: its first stack frame outside Node's own internals
 *      is in node_modules, or outside every folder of our own code (`ownRoots`: the submission,
 *      the tests, the course's lib/). The second case matters because vitest source-maps
 *      stacks: a tfjs frame reads `<somewhere>/tfjs-core/src/engine.ts`, not node_modules.
 *   2. it is of a kind a library's input checks never produce for bad student input: a
 *      compiled library calling a function its dependency lacks (`(0 , util_1.x) is not a
 *      function`: a removed Node API or mismatched package versions), a native binding that
 *      can't load, or a backend missing a kernel.
 * tfjs's own validation errors (wrong shapes, bad arguments) are thrown from node_modules too,
 * but fail test 2: they stay the student's, with the rubric's feedback.
 * Such a test still scores 0 (a submission can't earn points by faking one); it is labelled
 * "environment error (not your code)" and listed separately.
 */
import path from 'node:path';
import type { SerializedTestError } from './types.js';

const ENV_MESSAGES: RegExp[] = [
  /\(0 ?, ?[\w$]+_\d+\.[\w$]+\) is not a (function|constructor)/,
  /^[\w$]+_\d+\.[\w$]+ is not a (function|constructor)/,
  /ERR_DLOPEN_FAILED|NODE_MODULE_VERSION|undefined symbol|cannot open shared object file|invalid ELF header|was compiled against a different Node\.js version/i,
  /Kernel '[^']+' not registered for backend/,
];

/** The file of the first frame of a V8 stack that is not Node's own code, or null. */
export function firstUserFrame(stack: string | undefined): string | null {
  for (const raw of (stack ?? '').split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('at ')) continue;
    const loc = /\(([^()]+)\)\s*$/.exec(line)?.[1] ?? line.slice(3);
    if (/^(node:|internal\/|native\b|<anonymous>)/.test(loc)) continue;
    return loc.replace(/^file:\/\//, '').replace(/(:\d+){1,2}$/, '');
  }
  return null;
}

function inside(file: string, root: string): boolean {
  const rel = path.relative(root, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The environment's error among a failed test's errors, or null when it is the submission's.
 * `ownRoots`: folders of code that is not a library (submission, tests, course lib).
 */
export function environmentError(errors: readonly SerializedTestError[], ownRoots: readonly string[] = []): SerializedTestError | null {
  for (const e of errors) {
    const file = firstUserFrame(e.stack);
    if (!file) continue;
    const library = /[\\/]node_modules[\\/]/.test(file) || (path.isAbsolute(file) && !ownRoots.some((r) => inside(file, r)));
    if (library && ENV_MESSAGES.some((re) => re.test(e.message))) return e;
  }
  return null;
}

/** The feedback line of a test that failed because of the environment. */
export function environmentFeedback(err: SerializedTestError): string {
  const line = err.message.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
  return `environment error (not your code): ${line.slice(0, 200)}; run \`course doctor\``;
}
