/**
 * Staging a submission's folder (lib/grader/sandbox/stage.ts) copies what it can grade and
 * nothing that could hurt the machine: a pipe is skipped (it made the copy fail and left the
 * stage behind), a huge file (a sparse 2 GB file was copied densely: a 60 GB one fills the disk)
 * is refused before anything is written, with the file's name and the fix.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CourseError } from '../../lib/errors.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { createStage, MAX_SUBMISSION_DEPTH, MAX_SUBMISSION_FILE_MB, removeStage, stagesRoot } from '../../lib/grader/sandbox/stage.js';

const EXERCISE = '01-ffnn-from-scratch';
const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function submission(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-sub-'));
  made.push(dir);
  fs.cpSync(path.join(PROJECT_ROOT, 'exercises', EXERCISE), path.join(dir, EXERCISE), { recursive: true });
  return path.join(dir, EXERCISE);
}

const stageOpts = (folder: string) => ({ exercise: EXERCISE, folder, testFiles: [path.join(PROJECT_ROOT, 'test', `${EXERCISE}.test.ts`)], phase: 'visible' });
const leftovers = () => (fs.existsSync(stagesRoot()) ? fs.readdirSync(stagesRoot()) : []);

describe('staging a submission', () => {
  it('copies regular files and folders, skipping a named pipe', () => {
    const folder = submission();
    execFileSync('mkfifo', [path.join(folder, 'pipe')]);
    fs.mkdirSync(path.join(folder, 'extra'));
    fs.writeFileSync(path.join(folder, 'extra', 'notes.txt'), 'kept');
    const stage = createStage(stageOpts(folder));
    try {
      const staged = path.join(stage.target, EXERCISE);
      expect(fs.readFileSync(path.join(staged, 'index.ts'), 'utf8')).toBe(fs.readFileSync(path.join(folder, 'index.ts'), 'utf8'));
      expect(fs.readFileSync(path.join(staged, 'extra', 'notes.txt'), 'utf8')).toBe('kept');
      expect(fs.existsSync(path.join(staged, 'pipe'))).toBe(false);
    } finally {
      removeStage(stage);
    }
  });

  it(`refuses a file over ${MAX_SUBMISSION_FILE_MB} MB before writing anything (a sparse file counts at its full size)`, () => {
    const folder = submission();
    const before = leftovers();
    fs.writeFileSync(path.join(folder, 'big.bin'), '');
    fs.truncateSync(path.join(folder, 'big.bin'), (MAX_SUBMISSION_FILE_MB + 1) * 2 ** 20);
    let err: unknown;
    try {
      removeStage(createStage(stageOpts(folder)));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CourseError);
    expect((err as CourseError).problem).toMatch(/01-ffnn-from-scratch\/big\.bin is 51 MB: files over 50 MB are not graded/);
    expect((err as CourseError).fix).toMatch(/remove .*big\.bin/);
    expect(leftovers()).toEqual(before);
  });

  it('copies by bytes and lists what it skips: names that are not UTF-8, a pipe, a socket, a link out of the tree, node_modules, a tree too deep', async () => {
    const folder = submission();
    fs.writeFileSync(Buffer.from(`${folder}/\xff\xfe.ts`, 'latin1'), 'export const x = 1;\n');
    fs.mkdirSync(Buffer.from(`${folder}/d\xe9j\xe0`, 'latin1'));
    fs.writeFileSync(Buffer.from(`${folder}/d\xe9j\xe0/a.ts`, 'latin1'), 'x');
    execFileSync('mkfifo', [path.join(folder, 'data.csv')]);
    fs.symlinkSync('/etc/passwd', path.join(folder, 'passwd.ts'));
    fs.mkdirSync(path.join(folder, 'node_modules', 'evil'), { recursive: true });
    fs.mkdirSync(path.join(folder, ...Array.from({ length: MAX_SUBMISSION_DEPTH + 2 }, (_, i) => `d${i}`)), { recursive: true });
    fs.writeFileSync(path.join(folder, 'ünïcode name.ts'), 'kept');
    const server = net.createServer();
    await new Promise<void>((done) => server.listen(path.join(folder, 'sock'), done));
    try {
      const stage = createStage(stageOpts(folder));
      try {
        const staged = path.join(stage.target, EXERCISE);
        expect(fs.readFileSync(path.join(staged, 'ünïcode name.ts'), 'utf8')).toBe('kept');
        const stub = fs.readdirSync(path.join(PROJECT_ROOT, 'exercises', EXERCISE));
        expect(fs.readdirSync(staged).sort()).toEqual([...stub, 'd0', 'ünïcode name.ts'].sort());
        const skipped = stage.skipped.join('\n');
        for (const want of [/\\xff\\xfe\.ts \(its name is not UTF-8\)/, /d\\xe9j\\xe0 \(its name is not UTF-8\)/, /data\.csv \(a named pipe\)/, /sock \(a socket\)/, /passwd\.ts \(a symbolic link\)/, /node_modules\/ \(node_modules is never graded\)/, new RegExp(`d${MAX_SUBMISSION_DEPTH}/ \\(deeper than ${MAX_SUBMISSION_DEPTH} folders\\)`)]) expect(skipped).toMatch(want);
      } finally {
        removeStage(stage);
      }
    } finally {
      server.close();
    }
  });
});
