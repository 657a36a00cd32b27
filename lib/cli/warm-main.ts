/**
 * The warm checker's process (started by lib/cli/warm.ts, one per `course watch` session): a
 * vitest instance made once with the grader's own config (lib/grader/vitest.grade.config.ts:
 * same setup files, harness, IPC reporter, `@target` alias), kept alive between saves. Each
 * 'run' message invalidates the student's files in vite's module graph (so the edit is
 * transformed again), narrows the tests by name pattern and runs the exercise's test file once;
 * results go to the parent over IPC exactly as in a graded run (ipc-reporter.ts), ending with
 * 'done'. Test workers are fresh processes per run (vitest recycles them) with tfjs-node
 * preloaded (warm-preload.mjs), so nothing of one run's tensors or module state reaches the next.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createVitest } from 'vitest/node';

export type WarmRequest = { type: 'run'; pattern: string; invalidate: string[] } | { type: 'cancel' };
export type WarmReply = { type: 'ready' } | { type: 'failed'; message: string };

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const files: string[] = JSON.parse(process.env.COURSE_GRADER_FILES ?? '[]');

function send(msg: WarmReply): void {
  process.send?.(msg);
}

/** Every file under the exercise folder, so an edit anywhere in it (a helper module too) is seen. */
function sourcesUnder(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const vitest = await createVitest('test', {
    config: path.join(root, 'lib/grader/vitest.grade.config.ts'),
    watch: false,
    // the grade config sets its own reporter (IPC); nothing on this process's stdout is read
  });
  let running: Promise<unknown> = Promise.resolve();
  process.on('message', (raw) => {
    const msg = raw as WarmRequest;
    if (msg.type === 'cancel') {
      void vitest.cancelCurrentRun('keyboard-input');
      return;
    }
    if (msg.type !== 'run') return;
    running = running.then(async () => {
      for (const dir of msg.invalidate) for (const f of sourcesUnder(dir)) vitest.invalidateFile(f);
      vitest.setGlobalTestNamePattern(new RegExp(msg.pattern));
      const project = vitest.getRootProject();
      try {
        await vitest.runTestSpecifications(files.map((f) => project.createSpecification(f)));
        if (process.env.COURSE_WARM_DEBUG) {
          for (const f of vitest.state.getFiles()) process.stderr.write(`warm: ${path.basename(f.filepath)} prepare ${f.prepareDuration?.toFixed(0)} ms, setup ${f.setupDuration?.toFixed(0)} ms, collect ${f.collectDuration?.toFixed(0)} ms, tests ${f.result?.duration?.toFixed(0)} ms\n`);
        }
      } catch (err) {
        send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
      }
    });
  });
  process.on('disconnect', () => {
    void vitest.close().finally(() => process.exit(0));
  });
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
