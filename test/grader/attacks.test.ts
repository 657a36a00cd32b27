/**
 * Hostile submissions (test/fixtures/attacks/<slug>/, one per attack class, each with an
 * attack.json) graded in one batch on 01-ffnn-from-scratch, with a hidden test, followed in the
 * same batch by a bare stub and the reference solution. Every attack must earn exactly what its
 * code earns (the tests named in `passes`, nothing else), never show hidden text, be flagged by
 * the static scan with the rules in `review` (grades.csv "needs review"), and leave the
 * stub at 0, the solution at full marks, results.json as the grader wrote it and the project tree
 * untouched (`git status --porcelain` empty).
 *
 * The sandbox-level attacks run in plain `npm test`; the in-process ones (tfjs/chai tampering)
 * with COURSE_SLOW_TESTS=1. As root (CI) this is the privileged path (bwrap as a sandbox uid);
 * the non-root path is checked by grading as an unprivileged user with no sandbox at all.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeSubmissions } from '../../lib/grader/batch.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { detectIsolation } from '../../lib/grader/sandbox/isolation.js';
import { materializeFixture } from '../support/grader-fixtures.js';

// every attack: with the slow suite, or COURSE_ATTACKS_ALL=1 (CI's setpriv phase: the in-process
// attacks in the mode without namespaces too, without the rest of the slow suite)
const SLOW = process.env.COURSE_SLOW_TESTS === '1' || process.env.COURSE_ATTACKS_ALL === '1';
const EXERCISE = '01-ffnn-from-scratch';
const ATTACKS = path.join(PROJECT_ROOT, 'test/fixtures/attacks');
const HIDDEN = path.join(ATTACKS, 'hidden');
// negate-flag is in-process, but nothing else in the fast run shows the parent's judge of a
// visible test (test/01-ffnn-from-scratch.judge.ts) at work: it costs one more student
const FAST = ['rewrite-tests', 'rewrite-results', 'import-solutions', 'read-hidden', 'flip-verdict', 'forge-then-die', 'steal-channel', 'extra-test', 'negate-flag'];
const quiet = () => {};

interface Attack {
  slug: string;
  description: string;
  passes: string[];
  feedback: string;
  neverShows?: string;
  /** text results.json must hold (a note the grader adds), as a regular expression */
  note?: string;
  /** rules the static scan (lib/grader/scan.ts) must flag: a review flag, never a score */
  review: string[];
}

const attacks: Attack[] = fs
  .readdirSync(ATTACKS)
  .filter((d) => fs.existsSync(path.join(ATTACKS, d, 'attack.json')))
  .sort()
  .map((slug) => ({ slug, ...(JSON.parse(fs.readFileSync(path.join(ATTACKS, slug, 'attack.json'), 'utf8')) as Omit<Attack, 'slug'>) }));

interface Results {
  score: number;
  output: string;
  tests: { name: string; score: number; max_score: number; status: string; output: string; visibility: string }[];
}

function gitStatus(dir: string): string {
  try {
    return execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', 'test', 'lib', 'solutions', 'exercises', 'data'], { cwd: dir, encoding: 'utf8' });
  } catch {
    return '';
  }
}

/** The project trees an attack could reach: this checkout and the one whose node_modules it uses. */
const trees = [...new Set([PROJECT_ROOT, path.dirname(fs.realpathSync(path.join(PROJECT_ROOT, 'node_modules')))])];

function survivors(marker: string): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(marker) && !/State:\s+Z/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))) out.push(pid);
    } catch {
      // gone
    }
  }
  return out;
}

/** Builds the submissions folder: one student per attack, then the bare stub and the solution. */
function submissions(slugs: string[]): string {
  const subs = fs.mkdtempSync(path.join(os.tmpdir(), 'attack-subs-'));
  for (const slug of slugs) materializeFixture(path.join(ATTACKS, slug), EXERCISE, path.join(subs, slug), PROJECT_ROOT);
  fs.cpSync(path.join(PROJECT_ROOT, 'exercises', EXERCISE), path.join(subs, 'zz-bare-stub', EXERCISE), { recursive: true });
  fs.cpSync(path.join(PROJECT_ROOT, 'solutions', EXERCISE), path.join(subs, 'zzz-reference', EXERCISE), { recursive: true });
  return subs;
}

describe('grader against hostile submissions (01-ffnn-from-scratch)', () => {
  const chosen = attacks.filter((a) => SLOW || FAST.includes(a.slug));

  it('has an attack fixture for every class', () => {
    expect(attacks.map((a) => a.slug).sort()).toEqual(
      ['chai-microtask', 'engine-prototype', 'extra-test', 'flip-verdict', 'forge-rpc', 'forge-then-die', 'import-solutions', 'lower-num-tensors', 'read-hidden', 'register-gradient', 'rename-forge', 'rewrite-results', 'rewrite-tests', 'runner-import', 'negate-flag', 'steal-channel'].sort(),
    );
  });

  it(`each attack earns exactly what its code earns; the stub after them 0, the solution full marks; nothing outlives the batch (${detectIsolation().mode})`, async () => {
    const before = trees.map(gitStatus);
    const subs = submissions(chosen.map((a) => a.slug));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'attack-out-'));
    try {
      const { rows } = await gradeSubmissions(subs, out, { only: [EXERCISE], hiddenDir: HIDDEN, seed: 1234, log: quiet, jobs: 2 });
      const read = (student: string) => JSON.parse(fs.readFileSync(path.join(out, student, 'results.json'), 'utf8')) as Results;
      const written = new Map(rows.map((r) => [r.student, fs.readFileSync(path.join(out, r.student, 'results.json'), 'utf8')]));

      for (const a of chosen) {
        const res = read(a.slug);
        const passed = res.tests.filter((t) => t.status === 'passed').map((t) => t.name.replace(`${EXERCISE} › `, ''));
        expect(passed.sort(), `${a.slug}: ${a.description}`).toEqual([...a.passes].sort());
        const feedback = new RegExp(a.feedback);
        for (const t of res.tests.filter((t) => t.status === 'failed' && t.visibility === 'visible')) expect(t.output, `${a.slug} › ${t.name}`).toMatch(feedback);
        for (const t of res.tests.filter((t) => t.visibility === 'after_published')) {
          expect(t.output, `${a.slug}: hidden feedback is the rubric line plus a fixed reason`).toMatch(/^(passed|count the weights and the biases of every layer \(hidden test: [a-z :]+\))$/);
        }
        if (a.note) expect(fs.readFileSync(path.join(out, a.slug, 'results.json'), 'utf8'), `${a.slug}: the grader's note`).toMatch(new RegExp(a.note));
        if (a.neverShows) {
          const shown = fs.readFileSync(path.join(out, a.slug, 'results.json'), 'utf8') + fs.readFileSync(path.join(out, a.slug, 'report.md'), 'utf8');
          expect(shown, `${a.slug}: hidden test text in the feedback`).not.toMatch(new RegExp(a.neverShows));
        }
      }
      // the static scan flags every attack for review (a column in grades.csv), never the stub or the solution
      const csv = fs.readFileSync(path.join(out, 'grades.csv'), 'utf8').trim().split('\n');
      expect(csv[0]!.split(',').pop()).toBe('needs review');
      const review = new Map(csv.slice(1).map((l) => [l.split(',')[0]!, Number(l.split(',').pop())]));
      const json = JSON.parse(fs.readFileSync(path.join(out, 'grades.json'), 'utf8')) as { students: { student: string; exercises: Record<string, { needs_review: { rule: string }[] }> }[] };
      for (const a of chosen) {
        const found = json.students.find((s) => s.student === a.slug)!.exercises[EXERCISE]!.needs_review.map((f) => f.rule);
        expect([...new Set(found)].sort(), `${a.slug}: rules flagged by the static scan`).toEqual([...a.review].sort());
        expect(review.get(a.slug)).toBe(found.length);
        if (found.length > 0) expect(fs.readFileSync(path.join(out, a.slug, 'report.md'), 'utf8')).toContain('**Needs review**');
      }
      expect([review.get('zz-bare-stub'), review.get('zzz-reference')]).toEqual([0, 0]);
      const stub = read('zz-bare-stub');
      expect(stub.score).toBe(0);
      for (const t of stub.tests.filter((t) => t.visibility === 'visible')) expect(t.output).toMatch(/^not implemented: \S+$/);
      const ref = read('zzz-reference');
      expect(ref.tests.filter((t) => t.status !== 'passed').map((t) => `${t.name}: ${t.output}`)).toEqual([]);
      expect(ref.score).toBe(ref.tests.reduce((n, t) => n + t.max_score, 0));

      // a process left behind would rewrite results.json now: give it time, then compare
      await new Promise((r) => setTimeout(r, 3000));
      for (const [student, text] of written) expect(fs.readFileSync(path.join(out, student, 'results.json'), 'utf8'), `${student}/results.json changed after grading`).toBe(text);
      expect(survivors('course-attack-rewrite-results')).toEqual([]);
      expect(trees.map(gitStatus)).toEqual(before);
      expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(`course-grader-${process.pid}`))).toEqual([]);
    } finally {
      fs.rmSync(subs, { recursive: true, force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 1_800_000);

  // The non-root path: an ordinary user (as a student grading their own work) with no sandbox at
  // all. The staged files are read-only and hash-checked: a rewritten test voids the run.
  // (and only where that user can run this Node: CI's extra Node majors live under root's 0700
  // home, so there the main run on the machine's Node covers this path)
  const canDrop =
    process.getuid?.() === 0 &&
    spawnSync('setpriv', ['--version']).status === 0 &&
    spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, '-e', "require('child_process').execFileSync(process.execPath, ['--version'])"], { cwd: os.tmpdir() }).status === 0;
  it.skipIf(!canDrop)('as an unprivileged user without a sandbox: a rewritten test voids the run, the stub after it scores 0', async () => {
    const subs = submissions(['rewrite-tests']);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'attack-out-'));
    try {
      for (const dir of [subs, out]) execFileSync('chown', ['-R', '65534:65534', dir]);
      const before = trees.map(gitStatus);
      const tsx = path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs');
      const script = path.join(PROJECT_ROOT, 'test/support/grade-batch.ts');
      // asynchronously: a worker blocked for a minute misses vitest's RPC ("Timeout calling
      // onTaskUpdate") and the file fails under load though every check passed
      const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, tsx, script, subs, out, EXERCISE], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH, HOME: os.tmpdir(), COURSE_GRADER_ISOLATION: 'none', COURSE_QUIET_BACKEND: '1' },
          timeout: 600_000,
          maxBuffer: 64 << 20,
        }, (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
        child.stdin?.end();
      });
      expect(r.status, r.stderr).toBe(0);
      const rows = JSON.parse(r.stdout.trim().split('\n').pop()!) as { student: string; total: number }[];
      const full = (JSON.parse(fs.readFileSync(path.join(out, 'zzz-reference', 'results.json'), 'utf8')) as Results).tests.reduce((n, t) => n + t.max_score, 0);
      expect(rows.map((x) => [x.student, x.total])).toEqual([['rewrite-tests', 0], ['zz-bare-stub', 0], ['zzz-reference', full]]);
      const res = JSON.parse(fs.readFileSync(path.join(out, 'rewrite-tests', 'results.json'), 'utf8')) as Results;
      expect(res.tests[0]!.output).toMatch(/tampering: the tests were modified \(test\/01-ffnn-from-scratch\.test\.ts\)/);
      expect(res.output).toMatch(/isolation: none/);
      expect(trees.map(gitStatus)).toEqual(before);
    } finally {
      fs.rmSync(subs, { recursive: true, force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 900_000);
});
