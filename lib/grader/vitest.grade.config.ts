/**
 * The vitest config the grader's child process runs with, from the staged project
 * (lib/grader/sandbox/stage.ts): the project's config (same `@target` alias, backend setup,
 * seeding) plus
 *  - an import guard: submission code may import its own folder, lib/ and packages only;
 *  - vite's cache in the run's writable work folder (the staged project is read-only);
 *  - exactly the test files the parent chose (visible + hidden), wherever they live;
 *  - the observation channel of judged tests, frozen before any other setup file (observe-channel.ts);
 *  - the grader harness (progress file, skip list, tamper checks, unhandled rejections);
 *  - the IPC reporter, the only way results reach the parent;
 *  - one test file at a time, so the progress file names the running test unambiguously;
 *  - a heap cap on workers, so runaway memory is an OOM crash, not a frozen machine.
 * Everything is passed in environment variables by lib/grader/sandbox/test-process.ts.
 */
import childProcess from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
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
/** the warm checker of `course watch` (lib/cli/warm.ts): never a graded run (sandboxEnv drops COURSE_GRADER_*) */
const warm = process.env.COURSE_GRADER_WARM === '1';

/**
 * Root modes: this (main) process runs as its own uid and holds the channel to the grader; its
 * workers, which import the submission, are started through `setpriv` as the sandbox uid with no
 * capabilities (tinypool forks them with child_process.fork: its execPath/execArgv become the
 * setpriv prefix). The worker then cannot signal this process, trace it or take its descriptors.
 */
const workerDrop: string[] | null = JSON.parse(process.env.COURSE_GRADER_WORKER_DROP ?? 'null');
const workerTmp = process.env.COURSE_GRADER_WORKER_TMPDIR;
if (workerDrop) {
  const fork = childProcess.fork;
  const dropped = (modulePath: string | URL, args?: readonly string[], options?: childProcess.ForkOptions) =>
    fork(modulePath, args ?? [], {
      ...options,
      // this process's temporary folder is its own (the workers read it); theirs is the sandbox's
      env: { ...(options?.env ?? process.env), ...(workerTmp ? { TMPDIR: workerTmp, HOME: workerTmp } : {}) },
      execPath: workerDrop[0],
      execArgv: [...workerDrop.slice(1), options?.execPath ?? process.execPath, ...(options?.execArgv ?? process.execArgv)],
    });
  childProcess.fork = ((modulePath: string | URL, a?: unknown, b?: unknown) =>
    // fork(path, args?, options?) or fork(path, options); tinypool passes args undefined
    a === undefined || Array.isArray(a) ? dropped(modulePath, a as string[] | undefined, b as childProcess.ForkOptions) : dropped(modulePath, [], a as childProcess.ForkOptions)) as typeof childProcess.fork;
  syncBuiltinESMExports(); // tinypool's `import { fork } from 'node:child_process'` sees it too
}

/**
 * The warm checker (lib/cli/warm.ts) runs the student's folder where it is, not staged beside a
 * copy of lib/: a folder outside the project (`course watch 01 --target ~/work`) imports
 * '../../lib/…' from where lib/ is not. Those imports go to the project's lib/, as staging does.
 */
function courseLibBeside(targetDir: string) {
  const besideLib = path.join(path.dirname(targetDir), 'lib') + path.sep;
  return {
    name: 'course-lib-beside-target',
    enforce: 'pre' as const,
    resolveId(source: string, importer: string | undefined) {
      if (!importer || !source.startsWith('.') || !importer.startsWith(targetDir + path.sep)) return null;
      const abs = path.resolve(path.dirname(importer), source);
      if (!abs.startsWith(besideLib) || fs.existsSync(besideLib)) return null;
      const inLib = path.join(root, 'lib', abs.slice(besideLib.length));
      return fs.existsSync(inLib) ? inLib : fs.existsSync(inLib.replace(/\.js$/, '.ts')) ? inLib.replace(/\.js$/, '.ts') : null;
    },
  };
}

export default defineConfig({
  ...base,
  root,
  cacheDir: process.env.COURSE_GRADER_CACHE ?? path.join(root, 'node_modules/.vite'),
  plugins: [...(warm ? [courseLibBeside(target)] : []), submissionImportGuard({ root, target })],
  // hidden test dirs may live outside the project; let them import the course library
  resolve: {
    alias: [...(base.resolve?.alias as { find: RegExp; replacement: string }[]), { find: /^@course\/(.*)$/, replacement: `${root}/$1` }],
  },
  test: {
    ...base.test,
    include: files,
    exclude: ['**/node_modules/**'],
    setupFiles: warm
      ? // the warm checker's one long-lived worker: emptied of the last run's modules first, checked for what a run left last
        [path.join(root, 'test/support/warm-reset.ts'), ...((base.test?.setupFiles as string[]) ?? []), path.join(root, 'test/support/grader-harness.ts'), path.join(root, 'test/support/warm-guard.ts')]
      : // the observation channel first: it captures what it uses before anything else runs (observe-channel.ts)
        [path.join(root, 'lib/grader/observe-channel.ts'), ...((base.test?.setupFiles as string[]) ?? []), path.join(root, 'test/support/grader-harness.ts')],
    reporters: [new IpcReporter()],
    testTimeout,
    hookTimeout: Math.max(testTimeout, 120_000),
    fileParallelism: false,
    maxWorkers: 1,
    minWorkers: 1,
    poolOptions: {
      forks: {
        // the warm checker (lib/cli/warm.ts) preloads tfjs-node into its worker while it starts
        execArgv: [`--max-old-space-size=${heapMb}`, ...(process.env.COURSE_GRADER_PRELOAD ? ['--import', process.env.COURSE_GRADER_PRELOAD] : [])],
        // and keeps that one worker across runs (lib/cli/warm-main.mjs, test/support/warm-reset.ts)
        ...(warm ? { isolate: false, singleFork: true } : {}),
      },
    },
    watch: false,
    passWithNoTests: true,
    // `course grade --task/--test`, `course watch`: only the chosen tests run (their hooks too)
    ...(process.env.COURSE_GRADER_NAME_PATTERN ? { testNamePattern: new RegExp(process.env.COURSE_GRADER_NAME_PATTERN) } : {}),
  },
});
