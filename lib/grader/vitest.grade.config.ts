/**
 * The vitest config the grader's child process runs with, from the staged project
 * (lib/grader/sandbox/stage.ts): the project's config (same `@target` alias, backend setup,
 * seeding) plus
 *  - an import guard: submission code may import its own folder, lib/ and packages only;
 *  - vite's cache in the run's writable work folder (the staged project is read-only);
 *  - exactly the test files the parent chose (visible + hidden), wherever they live;
 *  - the grader harness (progress file, skip list, tamper checks, unhandled rejections);
 *  - the IPC reporter, the only way results reach the parent;
 *  - one test file at a time, so the progress file names the running test unambiguously;
 *  - a heap cap on workers, so runaway memory is an OOM crash, not a frozen machine.
 * Everything is passed in environment variables by lib/grader/runner.ts.
 */
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';
import { IpcReporter } from './ipc-reporter.js';
import { submissionImportGuard } from './sandbox/resolve-guard.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const files: string[] = JSON.parse(process.env.COURSE_GRADER_FILES ?? '[]');
const testTimeout = Number(process.env.COURSE_GRADER_TEST_TIMEOUT_MS ?? 120_000);
const heapMb = Number(process.env.COURSE_GRADER_HEAP_MB ?? 2048);
const target = process.env.COURSE_TARGET ?? path.join(root, 'submission');

export default defineConfig({
  ...base,
  root,
  cacheDir: process.env.COURSE_GRADER_CACHE ?? path.join(root, 'node_modules/.vite'),
  plugins: [submissionImportGuard({ root, target })],
  // hidden test dirs may live outside the project; let them import the course library
  resolve: {
    alias: [...(base.resolve?.alias as { find: RegExp; replacement: string }[]), { find: /^@course\/(.*)$/, replacement: `${root}/$1` }],
  },
  test: {
    ...base.test,
    include: files,
    exclude: ['**/node_modules/**'],
    setupFiles: [...((base.test?.setupFiles as string[]) ?? []), path.join(root, 'test/support/grader-harness.ts')],
    reporters: [new IpcReporter()],
    testTimeout,
    hookTimeout: Math.max(testTimeout, 120_000),
    fileParallelism: false,
    maxWorkers: 1,
    minWorkers: 1,
    poolOptions: { forks: { execArgv: [`--max-old-space-size=${heapMb}`] } },
    watch: false,
    passWithNoTests: true,
    // `course grade --task/--test`, `course watch`: only the chosen tests run (their hooks too)
    ...(process.env.COURSE_GRADER_NAME_PATTERN ? { testNamePattern: new RegExp(process.env.COURSE_GRADER_NAME_PATTERN) } : {}),
  },
});
