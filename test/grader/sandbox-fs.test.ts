/**
 * The sandbox's filesystem boundary (lib/grader/sandbox/boundary.ts) against planted submissions
 * (test/fixtures/attacks/sandbox-fs/<slug>/, README.md there): reading solutions/ source, the
 * hidden test through /proc/*\/cmdline and through a /tmp stash across runs, the progress-file
 * symlink for root to chown, leftovers in /tmp and /dev/shm, and files git cannot hold (non-UTF-8
 * names, a FIFO, a link out of the tree). All graded in one batch on 01-ffnn-from-scratch with a
 * hidden test, then a bare stub and the reference: every attack scores what the stub scores (0)
 * and shows no secret, the stub 0, the reference full marks, the project tree untouched
 * (`git status`), nothing owned by a sandbox uid left in /tmp, /var/tmp or /dev/shm.
 *
 * Run once per root isolation mode, forced: setpriv (a dropped uid, with the namespaces unshare
 * can add here; COURSE_GRADER_ISOLATION=setpriv in CI also takes the namespaces' place by
 * nothing) and bwrap where bubblewrap works. A mode this machine lacks is skipped, with why.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeSubmissions } from '../../lib/grader/batch.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { sandboxFilesLeft } from '../../lib/grader/sandbox/boundary.js';
import { detectIsolation, isSandboxUid, type IsolationMode } from '../../lib/grader/sandbox/isolation.js';
import { materializeFixture } from '../support/grader-fixtures.js';

const EXERCISE = '01-ffnn-from-scratch';
const FIXTURES = path.join(PROJECT_ROOT, 'test/fixtures/attacks/sandbox-fs');
const HIDDEN = path.join(PROJECT_ROOT, 'test/fixtures/attacks/hidden');
const VICTIM = path.join(PROJECT_ROOT, 'test', `${EXERCISE}.test.ts`);

interface Attack {
  slug: string;
  description: string;
  neverShows?: string;
  plant?: ('non-utf8' | 'fifo' | 'symlink')[];
  skipped?: string[];
  copies?: number;
}

const attacks: Attack[] = fs
  .readdirSync(FIXTURES)
  .filter((d) => fs.existsSync(path.join(FIXTURES, d, 'attack.json')))
  .sort()
  .map((slug) => ({ slug, ...(JSON.parse(fs.readFileSync(path.join(FIXTURES, slug, 'attack.json'), 'utf8')) as Omit<Attack, 'slug'>) }));

interface Results {
  score: number;
  output: string;
  tests: { name: string; score: number; max_score: number; status: string; output: string; visibility: string }[];
}

function gitStatus(dir: string): string {
  const r = spawnSync('git', ['status', '--porcelain', '--untracked-files=all', '--', 'test', 'lib', 'solutions', 'exercises', 'data'], { cwd: dir, encoding: 'utf8' });
  return r.status === 0 ? r.stdout : '';
}

/** Files git cannot hold, planted in the materialized submission. */
function plant(dir: string, what: NonNullable<Attack['plant']>): void {
  for (const p of what) {
    if (p === 'non-utf8') {
      fs.writeFileSync(Buffer.from(`${dir}/\xff\xfe.ts`, 'latin1'), 'export const x = 1;\n');
      fs.mkdirSync(Buffer.from(`${dir}/d\xe9j\xe0`, 'latin1'));
      fs.writeFileSync(Buffer.from(`${dir}/d\xe9j\xe0/a.ts`, 'latin1'), 'export const y = 2;\n');
    } else if (p === 'fifo') {
      execFileSync('mkfifo', [path.join(dir, 'pipe.ts'), path.join(dir, 'data.csv')]);
    } else fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd.ts'));
  }
}

/** One student per attack (or several in a row: `copies`), then the bare stub and the reference. */
function submissions(): { subs: string; students: Map<string, Attack> } {
  const subs = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-fs-subs-'));
  const students = new Map<string, Attack>();
  for (const a of attacks) {
    for (let i = 1; i <= (a.copies ?? 1); i++) {
      const student = a.copies ? `${a.slug}-${i}` : a.slug;
      materializeFixture(path.join(FIXTURES, a.slug), EXERCISE, path.join(subs, student), PROJECT_ROOT);
      const index = path.join(subs, student, EXERCISE, 'index.ts');
      fs.writeFileSync(index, fs.readFileSync(index, 'utf8').replaceAll('__PROJECT_ROOT__', PROJECT_ROOT));
      if (a.plant) plant(path.join(subs, student, EXERCISE), a.plant);
      students.set(student, a);
    }
  }
  fs.cpSync(path.join(PROJECT_ROOT, 'exercises', EXERCISE), path.join(subs, 'zz-bare-stub', EXERCISE), { recursive: true });
  fs.cpSync(path.join(PROJECT_ROOT, 'solutions', EXERCISE), path.join(subs, 'zzz-reference', EXERCISE), { recursive: true });
  return { subs, students };
}

/** Which root modes this machine has, and why not where it lacks one. */
function available(mode: IsolationMode): string | null {
  if (process.getuid?.() !== 0) return 'needs root (the sandbox uid)';
  const { mode: best, why } = detectIsolation();
  if (mode === 'bwrap') return best === 'bwrap' ? null : `bubblewrap unavailable here: ${why.join('; ') || best}`;
  return best === 'none' ? `setpriv unavailable here: ${why.join('; ')}` : null;
}

const LEFT = /^course-attack-/;

describe.each(['setpriv', 'bwrap'] as const)('the filesystem boundary against hostile submissions (%s)', (mode) => {
  const unavailable = available(mode);
  it('has a fixture for every attack', () => {
    expect(attacks.map((a) => a.slug)).toEqual(['leftovers', 'odd-files', 'proc-cmdline-hidden', 'progress-symlink', 'read-solutions', 'tmp-stash']);
  });

  it.skipIf(unavailable !== null)(`each attack scores what the stub scores; the stub 0, the reference full; tree clean, nothing left in /tmp or /dev/shm${unavailable ? ` — skipped: ${unavailable}` : ''}`, async () => {
    const before = gitStatus(PROJECT_ROOT);
    const victimOwner = fs.statSync(VICTIM).uid;
    const { subs, students } = submissions();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-fs-out-'));
    // the instructor's `course grade --hidden DIR`, as /proc shows it to everyone
    const decoy = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)', '--', 'course', 'grade', '--hidden', HIDDEN], { stdio: 'ignore' });
    try {
      const t0 = Date.now();
      await gradeSubmissions(subs, out, { only: [EXERCISE], hiddenDir: HIDDEN, seed: 1234, log: () => {}, jobs: 1, isolation: mode });
      const read = (s: string) => JSON.parse(fs.readFileSync(path.join(out, s, 'results.json'), 'utf8')) as Results;
      for (const [student, a] of students) {
        const res = read(student);
        expect(res.tests.filter((t) => t.status === 'passed').map((t) => t.name), `${student}: ${a.description}`).toEqual([]);
        expect(res.score, student).toBe(0);
        const shown = fs.readFileSync(path.join(out, student, 'results.json'), 'utf8') + fs.readFileSync(path.join(out, student, 'report.md'), 'utf8');
        if (a.neverShows) expect(shown, `${student} shows what it should never reach`).not.toMatch(new RegExp(a.neverShows));
        // the output is Markdown: a backslash the submission's file name carries is escaped there
        const unescaped = res.output.replace(/\\([\\`*_{}[\]()#+\-.!<>|~])/g, '$1');
        for (const s of a.skipped ?? []) expect(unescaped, `${student}: the grade lists what was not copied`).toMatch(new RegExp(`not copied from the submission[^\\n]*${s}`));
        expect(res.output, `${student}: the isolation and its guarantees are labelled`).toMatch(new RegExp(`isolation: ${mode}`));
      }
      const stub = read('zz-bare-stub');
      expect(stub.score).toBe(0);
      const ref = read('zzz-reference');
      expect(ref.tests.filter((t) => t.status !== 'passed').map((t) => `${t.name}: ${t.output}`)).toEqual([]);
      expect(ref.score).toBe(ref.tests.reduce((n, t) => n + t.max_score, 0));
      // the odd files cost no waiting (a FIFO opened for reading would block until killed)
      expect((Date.now() - t0) / 1000 / (students.size + 2)).toBeLessThan(120);
      expect(gitStatus(PROJECT_ROOT)).toBe(before);
      expect(fs.statSync(VICTIM).uid, 'the progress-file link made root chown the project test').toBe(victimOwner);
      expect(sandboxFilesLeft(isSandboxUid)).toEqual([]);
      for (const dir of ['/tmp', '/var/tmp', '/dev/shm']) expect(fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => LEFT.test(f)) : [], dir).toEqual([]);
      // the stage never named the project: its answers are locked from the sandbox uid
      expect(fs.statSync(path.join(PROJECT_ROOT, 'solutions')).mode & 0o007).toBe(0);
    } finally {
      decoy.kill('SIGKILL');
      fs.rmSync(subs, { recursive: true, force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 1_800_000);
});
