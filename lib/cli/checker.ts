/**
 * The background checker of `course grade --task N` (a build daemon for the student's own loop).
 * A one-shot `grade --task` pays a warm checker's start-up (vitest, a test worker, tfjs-node, the
 * backend's probe: docs/ARCHITECTURE.md "The warm checker"); after answering, it leaves one
 * `course checker serve` process running that keeps warm checkers (lib/cli/warm.ts) for the
 * exercises it was asked about, so the next `grade --task` costs the tests, not the start-up.
 *
 * What keeps it from giving a wrong or foreign verdict:
 *  - it listens on a unix socket in a folder only this user can enter (0700, owned by the uid,
 *    checked before every use: privateDir), one socket per project (a hash of its path);
 *  - it serves only this project's own exercises/ and solutions/, exactly what grade.ts
 *    `gradesOnWarmChecker` sends to a warm checker; every other target, and every official
 *    grade, keeps the sandbox (the client never asks for them, and the server refuses them);
 *  - every request carries the client's fingerprint of the code a checker has loaded (lib/,
 *    test/, bin/, package.json and the lockfiles by path, size and mtime; the Node binary; the
 *    environment): a different one means the checker is out of date: it says so, exits, and the
 *    client checks the one-shot way (then leaves a fresh checker);
 *  - a checker that is not there, does not answer, answers garbage, or dies mid-check is the same
 *    as none: the one-shot path answers. The verdicts come from the same WarmChecker.check, so the
 *    report, history entry and notes are the one-shot path's.
 * It exits after COURSE_CHECKER_IDLE_S (default 600) idle seconds, on `course checker stop`,
 * or when out of date. COURSE_CHECKER=0 turns it off (the test suite does: vitest.config.ts).
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EXERCISES_DIR, ROOT, SOLUTIONS_DIR } from '../exercises.js';
import { exerciseSpecs, listExercises } from '../grader/grade.js';
import { limitsFor } from '../grader/runner.js';
import { WarmChecker, type WarmCheck } from './warm.js';

/** bumped when a request or answer changes shape: an older checker is then out of date */
const PROTOCOL = 1;
/** warm checkers kept at once (each holds a vitest and a test worker with tfjs-node: a few hundred MB) */
const MAX_CHECKERS = 2;

export interface CheckRequest {
  exercise: string;
  target: string;
  tasks: number[];
  seed: number;
  testTimeoutS?: number;
}

export type Request = ({ type: 'check' } & CheckRequest & { protocol: number; fingerprint: string }) | { type: 'status' } | { type: 'stop' };
export type Reply =
  | { type: 'result'; check: WarmCheck; pid: number }
  | { type: 'stale'; reason: string }
  | { type: 'refused'; reason: string }
  | { type: 'error'; message: string }
  | { type: 'status'; pid: number; ready: boolean; checkers: string[]; fingerprint: string }
  | { type: 'stopped'; pid: number };

export function checkerEnabled(): boolean {
  return process.env.COURSE_CHECKER !== '0' && typeof process.getuid === 'function';
}

/** The per-user folder of the sockets (in TMPDIR: a test or bench isolates itself with its own). */
export function checkerDir(tmp = os.tmpdir()): string {
  return path.join(tmp, `course-checker-${process.getuid?.() ?? 'user'}`);
}

/** This project's socket: one checker per project folder and user. */
export function socketPath(root = ROOT, dir = checkerDir()): string {
  return path.join(dir, `${crypto.createHash('sha256').update(root).digest('hex').slice(0, 16)}.sock`);
}

/**
 * The folder, made 0700 if absent; null when it is not this user's alone (a symlink, another
 * owner, group or other permissions): then no checker is started or asked.
 */
export function privateDir(dir = checkerDir()): string | null {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return null;
  }
  try {
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o077) === 0 ? dir : null;
  } catch {
    return null;
  }
}

/** what a checker has loaded and a save of the student's exercise folder does not reload (warm-main.mjs invalidates only that folder) */
const CODE_PATHS = ['lib', 'test', 'bin', 'package.json', 'package-lock.json', 'node_modules/.package-lock.json', 'vitest.config.ts', 'tsconfig.json'];
/** shell variables that differ between terminals and reach no test */
const IGNORED_ENV = /^(COURSE_CHECKER.*|PWD|OLDPWD|SHLVL|_|COLUMNS|LINES|PS[1-4]|TERM.*|COLORTERM|SSH_.*|TMUX.*|STY|WINDOW|WINDOWID|HIST.*|LS_COLORS|PROMPT_COMMAND|npm_.*|INIT_CWD)$/;

/**
 * What a checker's answers depend on besides the student's folder: the files under CODE_PATHS
 * (path, size, mtime), the Node binary and version, and the environment (every variable but
 * IGNORED_ENV: the warm process inherits it, e.g. TFJS_BACKEND).
 */
export function codeFingerprint(root = ROOT, env: NodeJS.ProcessEnv = process.env): string {
  const h = crypto.createHash('sha256');
  h.update(`${PROTOCOL}\0${process.version}\0${process.execPath}\n`);
  const visit = (rel: string): void => {
    let st: fs.Stats;
    try {
      st = fs.statSync(path.join(root, rel));
    } catch {
      h.update(`${rel}\0-\n`);
      return;
    }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(path.join(root, rel)).sort()) visit(path.join(rel, e));
    } else {
      h.update(`${rel}\0${st.size}\0${st.mtimeMs}\n`);
    }
  };
  for (const p of CODE_PATHS) visit(p);
  for (const k of Object.keys(env).sort()) if (!IGNORED_ENV.test(k)) h.update(`${k}=${env[k]}\n`);
  return h.digest('hex');
}

/** Why this target may not be checked by the background checker, or null: exactly grade.ts's own-code rule. */
export function refusal(r: Partial<CheckRequest>): string | null {
  const target = typeof r.target === 'string' ? path.resolve(r.target) : '';
  if (target !== EXERCISES_DIR && target !== SOLUTIONS_DIR) return `only this project's exercises/ and solutions/ are checked here, not ${r.target}`;
  if (typeof r.exercise !== 'string' || !listExercises().includes(r.exercise)) return `unknown exercise ${r.exercise}`;
  if (!Array.isArray(r.tasks) || r.tasks.length === 0 || !r.tasks.every((t) => Number.isInteger(t) && t > 0)) return 'tasks must be positive integers';
  if (!Number.isInteger(r.seed) || (r.testTimeoutS !== undefined && !(typeof r.testTimeoutS === 'number' && r.testTimeoutS > 0))) return 'bad seed or timeout';
  return null;
}

/** One request over the socket; null when nothing (valid) came back within timeoutMs. */
export function ask(sock: string, req: Request, timeoutMs: number): Promise<Reply | null> {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const c = net.connect(sock);
    const finish = (r: Reply | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      c.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    c.on('connect', () => c.write(`${JSON.stringify(req)}\n`));
    c.on('data', (d) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i < 0) return;
      try {
        const r = JSON.parse(buf.slice(0, i)) as Reply;
        finish(typeof r?.type === 'string' ? r : null);
      } catch {
        finish(null);
      }
    });
    c.on('error', () => finish(null));
    c.on('close', () => finish(null));
  });
}

export type Asked = { check: WarmCheck; pid: number } | { why: string };

/**
 * Asks this project's running checker for the grade of `r`. Any answer but a result (none
 * running, out of date, refused, died, timed out) comes back as `why`: the caller checks the
 * one-shot way.
 */
export async function askChecker(r: CheckRequest): Promise<Asked> {
  if (!checkerEnabled()) return { why: 'the background checker is off (COURSE_CHECKER=0)' };
  if (!privateDir()) return { why: `${checkerDir()} is not this user's alone (0700): no background checker` };
  const sock = socketPath();
  if (!fs.existsSync(sock)) return { why: 'no background checker was running' };
  const { specs } = exerciseSpecs(r.exercise, path.join(ROOT, 'test'));
  // the graded run's own bound on a whole attempt; the checker's watchdog ends a hung test long before
  const timeoutMs = limitsFor({ specs: specs.filter((s) => s.task !== undefined && r.tasks.includes(s.task)), testTimeoutS: r.testTimeoutS }).totalS * 1000;
  const reply = await ask(sock, { type: 'check', ...r, protocol: PROTOCOL, fingerprint: codeFingerprint() }, timeoutMs);
  if (reply?.type === 'result' && reply.check?.grade?.exercise === r.exercise) return { check: reply.check, pid: reply.pid };
  if (reply?.type === 'stale') return { why: `the background checker was out of date (${reply.reason}); it stopped` };
  if (reply?.type === 'refused' || reply?.type === 'error') return { why: `the background checker did not check it (${'reason' in reply ? reply.reason : reply.message})` };
  return { why: 'the background checker did not answer' };
}

/** Leaves a checker running in the background, warmed up for `prewarm` (after a one-shot check). */
export function leaveChecker(prewarm: CheckRequest): void {
  const dir = checkerEnabled() ? privateDir() : null;
  if (!dir) return;
  const log = fs.openSync(socketPath().replace(/\.sock$/, '.log'), 'w', 0o600);
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/course.mjs'), 'checker', 'serve'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', log, log],
    env: { ...process.env, COURSE_CHECKER_PREWARM: JSON.stringify(prewarm) },
  });
  child.unref();
  fs.closeSync(log);
}

/** Binds the socket; false when another checker already answers on it. */
async function bind(server: net.Server, sock: string): Promise<boolean> {
  for (let i = 0; ; i++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(sock, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || i > 0) throw err;
      if ((await ask(sock, { type: 'status' }, 2000)) !== null) return false;
      fs.rmSync(sock, { force: true }); // left by a checker that was killed
    }
  }
}

/** `course checker serve`: the background checker itself (started by leaveChecker). */
export async function serveChecker(): Promise<number> {
  if (!privateDir()) {
    console.error(`course checker: ${checkerDir()} is not this user's alone (0700); not serving`);
    return 1;
  }
  const sock = socketPath();
  const fingerprint = codeFingerprint();
  const idleMs = Number(process.env.COURSE_CHECKER_IDLE_S ?? 600) * 1000;
  const checkers = new Map<string, WarmChecker>();
  const server = net.createServer();
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  let idle: NodeJS.Timeout | undefined;
  let stopping = false;

  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`course checker ${process.pid}: stopping (${why})`);
    clearTimeout(idle);
    server.close(); // unlinks the socket: a new checker can bind at once
    for (const c of checkers.values()) c.close();
    setTimeout(() => process.exit(0), 100).unref();
  };
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => stop(`idle for ${idleMs / 1000} s`), idleMs);
  };
  /** a request's checker, the least recently used closed when there are too many */
  const checkerFor = (r: CheckRequest, warmUp: boolean): WarmChecker => {
    const key = JSON.stringify([r.exercise, path.resolve(r.target), r.seed, r.testTimeoutS ?? null]);
    let c = checkers.get(key);
    checkers.delete(key);
    c ??= new WarmChecker({ exercise: r.exercise, target: path.resolve(r.target), seed: r.seed, testTimeoutS: r.testTimeoutS, warmUp });
    checkers.set(key, c);
    for (const [k, old] of checkers) if (checkers.size > MAX_CHECKERS && old !== c) (old.close(), checkers.delete(k));
    return c;
  };
  /** runs one piece of work at a time (2 cores: two checks at once would only slow both) */
  const enqueue = (work: () => Promise<void>) => {
    pending++;
    clearTimeout(idle);
    queue = queue.then(work).catch((err) => console.error(err)).finally(() => --pending === 0 && !stopping && touch());
  };

  const handle = (req: Request, conn: net.Socket) => {
    const reply = (r: Reply) => conn.end(`${JSON.stringify(r)}\n`);
    if (req.type === 'status') return reply({ type: 'status', pid: process.pid, ready: pending === 0, checkers: [...checkers.keys()], fingerprint });
    if (req.type === 'stop') {
      reply({ type: 'stopped', pid: process.pid });
      return stop('asked to');
    }
    if (req.type !== 'check') return reply({ type: 'error', message: 'unknown request' });
    if (req.protocol !== PROTOCOL || req.fingerprint !== fingerprint) {
      reply({ type: 'stale', reason: 'the project, its packages, Node or the environment changed since it started' });
      return stop('out of date');
    }
    const why = refusal(req);
    if (why) return reply({ type: 'refused', reason: why });
    const ac = new AbortController();
    conn.on('close', () => ac.abort()); // the student pressed Ctrl-C: the run stops at the next test
    enqueue(async () => {
      if (ac.signal.aborted) return;
      try {
        const check = await checkerFor(req, false).check(req.tasks, ac.signal);
        // a checker stopping (out of date, asked to) has killed its warm processes: no answer, the client falls back
        if (!check.aborted && !stopping) reply({ type: 'result', check, pid: process.pid });
      } catch (err) {
        reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
      }
    });
  };

  if (!(await bind(server, sock))) {
    console.error(`course checker: another checker already answers on ${sock}`);
    return 0;
  }
  server.on('connection', (conn) => {
    let buf = '';
    conn.on('error', () => {});
    conn.on('data', (d) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i < 0) return;
      let req: Request;
      try {
        req = JSON.parse(buf.slice(0, i)) as Request;
      } catch {
        return void conn.end(`${JSON.stringify({ type: 'error', message: 'not JSON' } satisfies Reply)}\n`);
      }
      conn.removeAllListeners('data');
      handle(req, conn);
    });
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  console.error(`course checker ${process.pid}: serving ${ROOT} on ${sock}`);
  const prewarm = process.env.COURSE_CHECKER_PREWARM;
  const r = prewarm ? (JSON.parse(prewarm) as CheckRequest) : null;
  if (r && !refusal(r)) enqueue(() => checkerFor(r, true).start().catch(() => {}));
  else touch();
  await new Promise<void>((resolve) => server.on('close', resolve));
  return 0;
}

/** `course checker stop | status`. */
export async function checkerCommand(action: string): Promise<number> {
  if (action === 'serve') return serveChecker();
  const sock = socketPath();
  const reply = privateDir() && fs.existsSync(sock) ? await ask(sock, { type: action === 'stop' ? 'stop' : 'status' }, 5000) : null;
  if (!reply) {
    console.log(`no background checker is running for ${ROOT}`);
    return 0;
  }
  if (reply.type === 'stopped') console.log(`stopped the background checker (pid ${reply.pid})`);
  if (reply.type === 'status') console.log(`background checker pid ${reply.pid}, ${reply.ready ? 'idle' : 'busy'}, warm for: ${reply.checkers.map((k) => (JSON.parse(k) as string[]).slice(0, 2).join(' in ')).join('; ') || 'nothing yet'}`);
  return 0;
}
