/**
 * A vitest reporter that runs in vitest's main process (the grader's child) and sends each
 * test's result to the grader parent over the IPC channel the parent opened with
 * `stdio: [..., 'ipc']`. Student code runs in vitest's worker forks, which have no handle on
 * this channel, so nothing a submission prints or writes can change the reported results.
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import { clip } from './plain-text.js';
import type { ChildMessage, SerializedTestError } from './types.js';

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  stack?: unknown;
}

/** Errors as the grader gets them, cut (the harness already cut what a test threw; hooks and stray errors were not). */
function serialize(errors: ReadonlyArray<ErrorLike> | undefined): SerializedTestError[] {
  return (errors ?? []).slice(0, 20).map((e) => ({
    name: typeof e.name === 'string' ? clip(e.name, 200) : undefined,
    message: clip(typeof e.message === 'string' ? e.message : String(e), 4000),
    // source-mapped by vitest in the worker; lib/grader/feedback.ts finds the submission's frame
    // (up to 50 frames, test/support/setup.ts: the student's may lie under 30 of tfjs's)
    ...(typeof e.stack === 'string' ? { stack: e.stack.slice(0, 16000) } : {}),
  }));
}

function send(msg: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      resolve();
      return;
    }
    process.send(msg, undefined, {}, () => resolve());
  });
}

export class IpcReporter implements Reporter {
  private pending: Promise<void>[] = [];

  /**
   * "vitest started": before any worker exists, so before any submission code ran. A run that
   * ends without it never got as far as the student's code: the environment failed
   * (lib/grader/sandbox/start-check.ts), not the submission.
   */
  onInit(): void {
    this.pending.push(send({ type: 'ready' }));
  }

  /**
   * A long-lived vitest (the warm checker, lib/cli/warm-main.mjs) runs many times: each run reports
   * afresh. Messages already settled are dropped; one still in flight (the `ready` above) is kept.
   */
  onTestRunStart(): void {
    const inFlight = this.pending;
    this.pending = [Promise.all(inFlight).then(() => undefined)];
    this.modulesSent.clear();
  }

  /** "this test starts now": the runner counts a pass only for a test it saw start (lib/grader/runner.ts) */
  onTestCaseReady(testCase: TestCase): void {
    this.pending.push(send({ type: 'start', file: testCase.module.moduleId, name: testCase.fullName }));
  }

  onTestCaseResult(testCase: TestCase): void {
    const result = testCase.result();
    if (result.state === 'pending') return;
    this.pending.push(
      send({
        type: 'result',
        file: testCase.module.moduleId,
        name: testCase.fullName,
        state: result.state,
        errors: serialize(result.errors),
        ms: testCase.diagnostic()?.duration ?? 0,
      }),
    );
  }

  private modulesSent = new Set<string>();

  onTestModuleEnd(testModule: TestModule): void {
    this.sendModuleErrors(testModule);
  }

  private sendModuleErrors(testModule: TestModule): void {
    const errors = testModule.errors();
    if (errors.length > 0 && !this.modulesSent.has(testModule.moduleId)) {
      this.modulesSent.add(testModule.moduleId);
      this.pending.push(send({ type: 'module', file: testModule.moduleId, errors: serialize(errors) }));
    }
  }

  async onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<ErrorLike>): Promise<void> {
    // a file that failed to import never reaches onTestModuleEnd: collect its errors here
    for (const m of modules) this.sendModuleErrors(m);
    // vitest exits right after this hook: wait until every message has left the process.
    await Promise.all(this.pending);
    await send({ type: 'done', unhandled: serialize(unhandled) });
  }
}
