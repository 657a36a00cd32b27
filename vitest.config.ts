import { defineConfig } from 'vitest/config';
import path from 'node:path';

/**
 * `@target/<exercise>/index.js` resolves to the folder being graded: COURSE_TARGET
 * (exercises | solutions | an absolute path to a student's copy of exercises/).
 * Plain `npm test` checks the reference solutions.
 */
const root = path.dirname(new URL(import.meta.url).pathname);
const targetEnv = process.env.COURSE_TARGET ?? 'solutions';
const target = path.isAbsolute(targetEnv) ? targetEnv : path.join(root, targetEnv);

export default defineConfig({
  resolve: { alias: [{ find: /^@target\/(.*)$/, replacement: `${target}/$1` }] },
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    exclude: ['test/fixtures/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    setupFiles: ['test/support/setup.ts'],
    // libtensorflow's INFO lines (e.g. every SavedModel load of a compiled step) unless asked for
    // and no background checker left running by a test's `course grade --task` (lib/cli/checker.ts; test/lib/checker.test.ts turns it on for itself)
    env: { COURSE_CHECKER: '0', COURSE_QUIET_BACKEND: '1', TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
  },
});
