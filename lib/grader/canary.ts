/**
 * The environment canary: before the first exercise is graded, a known-good probe runs on the
 * backend grading will use, in a child process (canary-child.ts). If it fails, the environment
 * (Node, tfjs-node, libtensorflow, the JS fallbacks) is broken, not the submission: grading
 * stops with an EnvironmentError (exit code 1), before any score or feedback is written.
 * The verdict is computed once per process (a batch of submissions pays for it once).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CourseError } from '../errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHILD = path.join(ROOT, 'lib', 'grader', 'canary-child.ts');

export interface CanaryResult {
  ok: boolean;
  /** the backend the probe ran on ("node (tensorflow)", "wasm", …) */
  backend: string;
  error?: string;
  seconds: number;
}

/**
 * Grading cannot be trusted here: nobody's score may be computed. Thrown by the backend canary
 * (below) and when the sandbox cannot start the test process (sandbox/start-check.ts); a batch
 * stops on it (batch.ts), the Gradescope autograder writes it as "could not grade", never as
 * rubric failures.
 */
export class EnvironmentError extends CourseError {
  readonly canary?: CanaryResult;
  constructor(canary: CanaryResult);
  constructor(problem: string, fix: string);
  constructor(canaryOrProblem: CanaryResult | string, fix?: string) {
    const canary = typeof canaryOrProblem === 'string' ? undefined : canaryOrProblem;
    super(
      canary ? `the grading environment is broken: ${canary.backend} ${canary.error ?? 'unknown error'}; run \`course doctor\`` : `the grading environment is broken: ${canaryOrProblem as string}`,
      fix ?? 'run `course doctor`: it names each problem (Node version, tfjs-node, the Node shim, CPU flags) with its fix; then grade again',
    );
    this.name = 'EnvironmentError';
    if (canary) this.canary = canary;
  }
}

/** Run the probe in a child process with the grading environment (same env, same Node). */
export function runCanary(opts: { env?: NodeJS.ProcessEnv; timeoutS?: number } = {}): Promise<CanaryResult> {
  const t0 = Date.now();
  const inherited = Object.fromEntries(Object.entries(opts.env ?? process.env).filter(([k]) => !/^(__)?VITEST/.test(k)));
  return new Promise((resolve) => {
    const done = (r: Omit<CanaryResult, 'seconds'>) => resolve({ ...r, seconds: (Date.now() - t0) / 1000 });
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: ROOT,
      env: { ...inherited, TF_CPP_MIN_LOG_LEVEL: inherited.TF_CPP_MIN_LOG_LEVEL ?? '2', COURSE_QUIET_BACKEND: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-8000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), (opts.timeoutS ?? 300) * 1000);
    child.on('error', (e) => {
      clearTimeout(timer);
      done({ ok: false, backend: 'unknown', error: `could not start the canary: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = /^CANARY (.+)$/m.exec(out)?.[1];
      if (line) {
        try {
          const r = JSON.parse(line) as Omit<CanaryResult, 'seconds'>;
          return done({ ok: r.ok === true, backend: String(r.backend), error: r.error });
        } catch {
          /* fall through */
        }
      }
      const last = err.split('\n').map((l) => l.trim()).filter(Boolean).find((l) => /Error\b.*:/.test(l)) ?? err.trim().split('\n').at(-1);
      done({ ok: false, backend: process.env.TFJS_BACKEND ?? 'auto', error: `the probe process died (${signal ?? `exit ${code}`}): ${last ?? 'no output'}` });
    });
  });
}

let verdict: Promise<CanaryResult> | null = null;

/** The backend the canary accepted in this process ("node (tensorflow)", "wasm", …), or null if it has not run. */
export async function canaryBackend(): Promise<string | null> {
  const r = verdict ? await verdict : null;
  return r?.ok ? r.backend : null;
}

/** Throws EnvironmentError unless the canary passes (run once per process). */
export async function assertGradingEnvironment(log?: (line: string) => void): Promise<CanaryResult> {
  verdict ??= runCanary();
  const r = await verdict;
  if (!r.ok) throw new EnvironmentError(r);
  log?.(`environment ok: ${r.backend} trains (canary ${r.seconds.toFixed(1)} s)`);
  return r;
}
