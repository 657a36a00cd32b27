/**
 * The background checker of `course grade --task N` (lib/cli/checker.ts): a second grade --task
 * is answered by the checker the first one left running, with the one-shot report; a checker
 * that is out of date, killed, or in a folder other users can enter is never used (the one-shot
 * path answers); it serves only this project's exercises/ and solutions/.
 * Every CLI run here gets its own TMPDIR, so the sockets are this file's alone.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ask, checkerDir, codeFingerprint, privateDir, refusal, socketPath, type Reply } from '../../lib/cli/checker.js';
import { WARM_GRADE_NOTE } from '../../lib/cli/grade.js';
import { ROOT, SOLUTIONS_DIR } from '../../lib/exercises.js';
import type { GradeReport } from '../../lib/grader/types.js';
import { spawnAsync } from '../support/spawn-async.js';

const EX = '01-ffnn-from-scratch';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'checker-test-'));
const dir = checkerDir(tmp);
const sock = socketPath(ROOT, dir);
const env = { ...process.env, TMPDIR: tmp, COURSE_CHECKER: '1', COURSE_CHECKER_IDLE_S: '300' };
afterAll(async () => {
  if (fs.existsSync(sock)) await ask(sock, { type: 'stop' }, 5000);
  fs.rmSync(tmp, { recursive: true, force: true });
});

let runs = 0;
/** `course grade --only 01 --task 2 --target solutions` as a student runs it; its report and stderr */
async function gradeTask(extraEnv: Record<string, string> = {}): Promise<{ stderr: string; results: unknown; report: GradeReport }> {
  const out = path.join(tmp, `out-${runs++}`);
  const r = await spawnAsync(process.execPath, [path.join(ROOT, 'bin/course.mjs'), 'grade', '--only', EX, '--task', '2', '--target', 'solutions', '--out', out], { cwd: ROOT, env: { ...env, ...extraEnv }, timeout: 300_000 });
  expect(r.status, r.stderr).toBe(0);
  const [h] = fs.readdirSync(path.join(out, 'history'));
  const read = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8')) as unknown;
  // results.json is Gradescope's shape; the history entry is the whole GradeReport
  return { stderr: r.stderr, results: read(path.join(out, 'results.json')), report: read(path.join(out, 'history', h!)) as GradeReport };
}

/** the report without its timings */
const verdicts = (g: GradeReport) => ({ score: g.score, max: g.maxScore, narrowed: g.narrowed, exercises: g.exercises.map((e) => ({ ...e, seconds: 0 })) });
/** results.json without its timings */
const gradescope = (r: unknown) => JSON.parse(JSON.stringify(r).replace(/"execution_time":[\d.]+/, '"execution_time":0').replace(/, [\d.]+ s\)/g, ')')) as unknown;

async function status(): Promise<Extract<Reply, { type: 'status' }> | null> {
  const r = fs.existsSync(sock) ? await ask(sock, { type: 'status' }, 5000) : null;
  return r?.type === 'status' ? r : null;
}

/** waits until a checker answers and has finished warming up */
async function readyChecker(): Promise<Extract<Reply, { type: 'status' }>> {
  for (let i = 0; i < 600; i++) {
    const s = await status();
    if (s?.ready && s.checkers.length > 0) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('no background checker became ready in 120 s');
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('background checker (course grade --task N)', () => {
  let reference: ReturnType<typeof verdicts>;

  test('a second grade --task is answered by the checker the first left running, with the one-shot report and history', async () => {
    const first = await gradeTask();
    expect(first.stderr).toMatch(/one-shot: no background checker was running/);
    expect(first.report.exercises[0]!.notes[0]).toBe(WARM_GRADE_NOTE);
    reference = verdicts(first.report);
    expect(first.report.score).toBe(first.report.maxScore);
    const s = await readyChecker();
    const second = await gradeTask();
    expect(second.stderr).toMatch(new RegExp(`answered by the background checker, pid ${s.pid}\\b`));
    expect(verdicts(second.report)).toEqual(reference);
    expect(gradescope(second.results)).toEqual(gradescope(first.results));
    expect(second.report.exercises[0]!.notes[0]).toBe(WARM_GRADE_NOTE);
  }, 600_000);

  test('it serves only this project’s exercises/ and solutions/, and known exercises', async () => {
    const s = await readyChecker();
    const copy = fs.mkdtempSync(path.join(ROOT, '.checker-test-'));
    try {
      fs.cpSync(path.join(SOLUTIONS_DIR, EX), path.join(copy, EX), { recursive: true });
      const base = { type: 'check' as const, protocol: 1, fingerprint: s.fingerprint, exercise: EX, tasks: [2], seed: 1234 };
      const other = await ask(sock, { ...base, target: copy }, 60_000);
      expect(other).toMatchObject({ type: 'refused', reason: expect.stringMatching(/only this project's exercises\/ and solutions\//) });
      expect(await ask(sock, { ...base, target: SOLUTIONS_DIR, exercise: '../../etc' }, 60_000)).toMatchObject({ type: 'refused' });
      // the same request for solutions/ is served (so the refusals above are the target's, not the request's)
      expect(await ask(sock, { ...base, target: SOLUTIONS_DIR }, 120_000)).toMatchObject({ type: 'result', pid: s.pid });
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
    expect(refusal({ exercise: EX, target: path.join(ROOT, 'exercises'), tasks: [1], seed: 1 })).toBeNull();
    expect(refusal({ exercise: EX, target: '/tmp', tasks: [1], seed: 1 })).toMatch(/not \/tmp/);
    expect(refusal({ exercise: EX, target: SOLUTIONS_DIR, tasks: [0], seed: 1 })).toMatch(/tasks/);
  }, 300_000);

  test('a checker out of date (another environment) stops and the one-shot path answers; a killed one likewise', async () => {
    const old = await readyChecker();
    const stale = await gradeTask({ COURSE_CHECKER_TEST_MARK: 'x', COURSE_SEED_NOTE: 'changed' });
    expect(stale.stderr).toMatch(/one-shot: the background checker was out of date/);
    expect(verdicts(stale.report)).toEqual(reference);
    await expect.poll(() => alive(old.pid), { timeout: 10_000 }).toBe(false);

    // the fallback left a new checker (for the new environment): kill it hard, its socket file stays
    const next = await readyChecker();
    expect(next.pid).not.toBe(old.pid);
    process.kill(next.pid, 'SIGKILL');
    await expect.poll(() => alive(next.pid), { timeout: 10_000 }).toBe(false);
    expect(fs.existsSync(sock)).toBe(true);
    const killed = await gradeTask({ COURSE_SEED_NOTE: 'changed' });
    expect(killed.stderr).toMatch(/one-shot: the background checker did not answer/);
    expect(verdicts(killed.report)).toEqual(reference);
    // and a fresh one took over the socket; `course checker stop` ends it
    const fresh = await readyChecker();
    expect(fresh.pid).not.toBe(next.pid);
    const stop = await spawnAsync(process.execPath, [path.join(ROOT, 'bin/course.mjs'), 'checker', 'stop'], { cwd: ROOT, env });
    expect(stop.stdout).toContain(`stopped the background checker (pid ${fresh.pid})`);
    await expect.poll(() => alive(fresh.pid), { timeout: 10_000 }).toBe(false);
  }, 600_000);

  test('a socket folder other users can enter is never used: no checker is started or asked', async () => {
    // independent of the test before: no checker may be running when the folder is opened up
    if (await status()) await ask(sock, { type: 'stop' }, 5000);
    await expect.poll(() => fs.existsSync(sock), { timeout: 10_000 }).toBe(false);
    fs.chmodSync(dir, 0o755);
    try {
      const r = await gradeTask();
      expect(r.stderr).toMatch(/is not this user's alone \(0700\)/);
      expect(verdicts(r.report)).toEqual(reference);
      await new Promise((res) => setTimeout(res, 2000));
      expect(fs.existsSync(sock)).toBe(false);
    } finally {
      fs.chmodSync(dir, 0o700);
    }
  }, 300_000);
});

describe('background checker lifetime', () => {
  test('an idle checker exits after COURSE_CHECKER_IDLE_S and removes its socket', async () => {
    if (await status()) await ask(sock, { type: 'stop' }, 5000);
    await expect.poll(() => fs.existsSync(sock), { timeout: 10_000 }).toBe(false);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/course.mjs'), 'checker', 'serve'], { cwd: ROOT, env: { ...env, COURSE_CHECKER_IDLE_S: '3' }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const t0 = Date.now();
    await expect.poll(async () => (await status())?.pid, { timeout: 60_000, interval: 200 }).toBe(child.pid);
    expect(await exited).toBe(0);
    // it served for its idle time, then went away with its socket
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2500);
    expect(fs.existsSync(sock)).toBe(false);
  }, 120_000);
});

describe('privateDir and codeFingerprint', () => {
  test('privateDir takes only a folder of this uid with no group/other permissions, not a symlink', () => {
    const base = fs.mkdtempSync(path.join(tmp, 'priv-'));
    const fresh = path.join(base, 'a');
    expect(privateDir(fresh)).toBe(fresh);
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o700);
    const open = path.join(base, 'b');
    fs.mkdirSync(open, { mode: 0o700 });
    fs.chmodSync(open, 0o750);
    expect(privateDir(open)).toBeNull();
    const link = path.join(base, 'c');
    fs.symlinkSync(fresh, link);
    expect(privateDir(link)).toBeNull();
    if (process.getuid?.() === 0) {
      const other = path.join(base, 'd');
      fs.mkdirSync(other, { mode: 0o700 });
      fs.chownSync(other, 65534, 65534);
      expect(privateDir(other)).toBeNull();
    }
  });

  test('the fingerprint changes with the project code, lockfile and environment, not with the student’s folder or the shell', () => {
    const root = fs.mkdtempSync(path.join(tmp, 'fp-'));
    for (const f of ['lib/a.ts', 'test/b.test.ts', 'package-lock.json', 'exercises/01/index.ts']) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), 'x');
    }
    const e = { TFJS_BACKEND: 'node', PWD: '/a' };
    const fp = () => codeFingerprint(root, e);
    const first = fp();
    fs.writeFileSync(path.join(root, 'exercises/01/index.ts'), 'changed');
    expect(fp()).toBe(first);
    expect(codeFingerprint(root, { ...e, PWD: '/b', COURSE_CHECKER_IDLE_S: '1' })).toBe(first);
    expect(codeFingerprint(root, { ...e, TFJS_BACKEND: 'cpu' })).not.toBe(first);
    fs.writeFileSync(path.join(root, 'lib/a.ts'), 'xy');
    const second = fp();
    expect(second).not.toBe(first);
    fs.utimesSync(path.join(root, 'package-lock.json'), new Date(), new Date(Date.now() + 5000));
    expect(fp()).not.toBe(second);
    fs.writeFileSync(path.join(root, 'test/new.ts'), '');
    expect(fp()).not.toBe(second);
  });
});
