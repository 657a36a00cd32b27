/**
 * Can the sandbox start the test process at all? When it cannot (the sandbox uid cannot execute
 * node: CI's Node 24 under root's 0700 home gave exit 127 for every run; bwrap/setpriv missing;
 * vitest unreadable in the staged node_modules; workers that cannot drop to the sandbox uid), no
 * student code ever ran, so no test may fail as the student's: before, every test got "did not
 * run: … crashed: the test process exited with code 127", 0/382 on the reference solutions.
 *
 * Two checks, both reference-free:
 *  - before the first run, once per grader process (per isolation mode and node binary), a probe
 *    runs through the very same wrap argv and node binary as the test process: node starts,
 *    reads the staged vitest and grade config, and (root modes) starts a worker through the same
 *    setpriv drop vitest's workers get (lib/grader/vitest.grade.config.ts) and, when the grade
 *    uses the native backend (the canary's choice, canary.ts), loads it in that worker and trains
 *    a little (lib/backend/probe.cjs): a libtensorflow the sandbox cannot open stops the grade
 *    here, instead of failing each test as an "environment error" (env-errors.ts) or, in auto
 *    mode, silently running every test on a slower JS backend than the canary checked;
 *  - after every attempt: a run that ended before vitest's main process said `ready`
 *    (ipc-reporter.ts onInit: before any worker exists, so before any submission code ran)
 *    failed in the environment, whatever its exit code.
 * Either way grading stops with an EnvironmentError naming what failed and the fix (canary.ts:
 * exit code 1 for `course grade`, a batch stops, the Gradescope autograder writes "could not
 * grade" with the reason, never rubric failures).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { EnvironmentError } from '../canary.js';
import { parseProbeOutput } from '../../backend/native.js';
import { plainLine } from '../plain-text.js';
import { sandboxEnv, workerDrop, type Isolation } from './isolation.js';
import type { Stage } from './stage.js';
import type { TestProcessCommand } from './test-process.js';

/**
 * What runs inside the sandbox: read the files the test process needs, start a worker as the
 * workers start and, when the grade uses the native backend, load it in such a worker with the
 * shared training probe (lib/backend/probe.cjs, from the stage): a libtensorflow the sandbox
 * cannot open would otherwise fail (or, in auto mode, silently slow down) every test.
 */
const PROBE = `
const fs = require('node:fs'), cp = require('node:child_process');
const p = JSON.parse(process.env.COURSE_GRADER_PROBE);
for (const f of p.files) {
  try { fs.accessSync(f, fs.constants.R_OK); } catch (e) { console.log('PROBE ' + JSON.stringify({ missing: f, code: e.code })); process.exit(0); }
}
const worker = (args, timeout) => p.drop ? cp.spawnSync(p.drop[0], [...p.drop.slice(1), process.execPath, ...args], { encoding: 'utf8', timeout }) : cp.spawnSync(process.execPath, args, { encoding: 'utf8', timeout });
if (p.drop) {
  const r = worker(['-e', 'process.stdout.write("w")']);
  if (r.stdout !== 'w') { console.log('PROBE ' + JSON.stringify({ worker: r.error ? r.error.message : 'exit ' + (r.status ?? r.signal), stderr: (r.stderr || '').slice(-400) })); process.exit(0); }
}
if (p.native) {
  const r = worker([p.native.script, p.native.pkg], 90000);
  if (r.status !== 0) { console.log('PROBE ' + JSON.stringify({ native: { stdout: (r.stdout || '').slice(-2000), stderr: (r.stderr || '').slice(-2000), status: r.status, signal: r.signal } })); process.exit(0); }
}
console.log('PROBE {"ok":true}');
`;

interface ProbeLine {
  ok?: boolean;
  missing?: string;
  code?: string;
  worker?: string;
  stderr?: string;
  native?: { stdout: string; stderr: string; status: number | null; signal: string | null };
}

/** The last few meaningful lines of a process's stderr, as plain text. */
function tail(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !/^\s*at /.test(l));
  return plainLine(lines.slice(-3).join(' — ')).slice(0, 400);
}

function who(isolation: Isolation): string {
  return `the sandbox (${isolation.mode}${isolation.uid !== undefined ? `, uid ${isolation.mainUid ?? isolation.uid}` : ''})`;
}

const NODE_FIX =
  'install Node where every user can reach and execute it (e.g. /usr/local or /opt, every folder above it searchable by others), not only under a 0700 home such as /root/.cache; then `course doctor` and grade again';

/** Why a wrapped command did not even start, from how it ended (exit 126/127: exec failed; ENOENT on spawn). */
export function startFailure(isolation: Isolation, cmd: TestProcessCommand, how: { exitCode: number | null; signal: NodeJS.Signals | null; spawnError?: string; stderr: string; stalledS?: number }): EnvironmentError {
  const argv0 = cmd.wrap[0] ?? cmd.node;
  if (how.spawnError) {
    return new EnvironmentError(`cannot start ${argv0} for the test process: ${how.spawnError}`, `install ${argv0 === cmd.node ? 'Node' : `${argv0} (bubblewrap / util-linux)`} on PATH, or check \`course doctor\` for the isolation this machine supports`);
  }
  const err = tail(how.stderr);
  const ended = how.stalledS !== undefined ? `did not start within ${how.stalledS} s` : how.signal ? `was killed by ${how.signal}` : `exited with code ${how.exitCode}`;
  const execFailed = how.exitCode === 126 || how.exitCode === 127 || /execvp|failed to execute|Can't find source path|No such file or directory|Permission denied/i.test(err);
  if (execFailed) {
    return new EnvironmentError(`${who(isolation)} cannot execute ${cmd.node}: the test process ${ended} before vitest started${err ? ` (${err})` : ''}`, NODE_FIX);
  }
  return new EnvironmentError(
    `the test process ${ended} before vitest started, so no submission code ran${err ? ` (${err})` : ''}`,
    'run `course doctor`, then `course grade --only <exercise> --verbose` on the reference to see vitest\'s own error; fix the installation (node_modules, Node version) and grade again',
  );
}

const checked = new Set<string>();

/** The probe's answer (its PROBE line) and how its process ended. */
function runProbe(stage: Stage, isolation: Isolation, cmd: TestProcessCommand, nativePackage: string | null): { probe: ProbeLine | null; r: ReturnType<typeof spawnSync> } {
  const files = [path.join(stage.root, 'node_modules/vitest/vitest.mjs'), path.join(stage.root, 'lib/grader/vitest.grade.config.ts')];
  const drop = isolation.mainUid !== undefined && isolation.uid !== undefined ? workerDrop(isolation.uid) : null;
  const native = nativePackage ? { script: path.join(stage.root, 'lib/backend/probe.cjs'), pkg: nativePackage } : null;
  const env = sandboxEnv({ COURSE_GRADER_PROBE: JSON.stringify({ files, drop, native }) }, stage.work);
  const argv = [...cmd.wrap, cmd.node, '-e', PROBE];
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: stage.root, env, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
  const line = /^PROBE (.+)$/m.exec(r.stdout ?? '')?.[1];
  try {
    return { probe: line ? (JSON.parse(line) as ProbeLine) : null, r };
  } catch {
    return { probe: null, r };
  }
}

/**
 * Throws an EnvironmentError unless `cmd` starts node in the sandbox, which reads what the test
 * process reads, (root modes) can start a worker and, when `nativePackage` is given (the grade
 * uses the native backend), loads it in that worker and trains a little. Passing runs are
 * remembered per mode, node binary and package for this process (~0.1–0.3 s each; the native
 * probe.cjs took 4.1 s here at load 1.3).
 */
export function assertSandboxStarts(stage: Stage, isolation: Isolation, cmd: TestProcessCommand, nativePackage: string | null = null): void {
  const key = `${isolation.mode}|${cmd.node}|${nativePackage ?? ''}`;
  if (checked.has(key)) return;
  const { probe, r } = runProbe(stage, isolation, cmd, nativePackage);
  if (probe?.ok) {
    checked.add(key);
    return;
  }
  if (probe?.missing) {
    throw new EnvironmentError(`${who(isolation)} cannot read ${probe.missing} (${probe.code ?? 'error'})`, 'reinstall the dependencies (`npm ci`) and make the project readable to every user (`chmod -R o+rX node_modules lib`); then grade again');
  }
  if (probe?.worker) {
    // vitest's main process runs without CAP_DAC_OVERRIDE: a node under root's 0700 home that the
    // first setpriv still reached (it execs before dropping its capabilities) fails here
    throw new EnvironmentError(
      `vitest's workers cannot start as the sandbox uid ${isolation.uid}: ${who(isolation)} cannot execute ${cmd.node} (${probe.worker}${probe.stderr ? `: ${tail(probe.stderr)}` : ''})`,
      `${NODE_FIX}; the grader also needs util-linux \`setpriv\` and, as root, the capabilities to change uid (CAP_SETUID, CAP_SETGID)`,
    );
  }
  if (probe?.native) throw nativeFailure(isolation, nativePackage!, probe.native);
  const stalled = r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? 120 : undefined;
  const spawnError = r.error && !stalled ? r.error.message : undefined;
  throw startFailure(isolation, cmd, { exitCode: r.status, signal: r.signal, stderr: String(r.stderr ?? ''), ...(spawnError ? { spawnError } : {}), ...(stalled ? { stalledS: stalled } : {}) });
}

/** The grade's native backend does not load (or train) inside the sandbox, though it did outside (canary.ts). */
function nativeFailure(isolation: Isolation, pkg: string, how: NonNullable<ProbeLine['native']>): EnvironmentError {
  const { error } = parseProbeOutput(how.stdout, how.stderr, how.status, how.signal);
  return new EnvironmentError(
    `the native backend (${pkg}) works for the grader but not inside ${who(isolation)}: ${plainLine(error ?? 'no output', 300)}`,
    `make it loadable by every user (\`npm run provision-native\`, then \`chmod -R o+rX node_modules/@tensorflow\` and no libtensorflow under a 0700 folder such as /root), check \`course doctor\`; or grade every submission on a JS backend (TFJS_BACKEND=wasm)`,
  );
}
