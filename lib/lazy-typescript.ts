/**
 * The TypeScript compiler, loaded on first use. lib/grader/grade.ts imports three modules that
 * parse with it (scan.ts, judge.ts, declared-tests.ts); loading it costs about 0.5 s of CPU
 * (2–3 s at load 9) that `course grade --task N` on the warm checker never needs.
 */
import { createRequire } from 'node:module';
import type * as TS from 'typescript';

const require = createRequire(import.meta.url);
let loaded: typeof TS | undefined;

export function typescript(): typeof TS {
  loaded ??= require('typescript') as typeof TS;
  return loaded;
}
