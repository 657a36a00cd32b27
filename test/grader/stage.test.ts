/**
 * Staging a submission's folder (lib/grader/sandbox/stage.ts) copies what it can grade and
 * nothing that could hurt the machine: a pipe is skipped (it made the copy fail and left the
 * stage behind), a huge file (a sparse 2 GB file was copied densely: a 60 GB one fills the disk)
 * is refused before anything is written, with the file's name and the fix.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CourseError } from '../../lib/errors.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { createStage, MAX_SUBMISSION_FILE_MB, removeStage, stagesRoot } from '../../lib/grader/sandbox/stage.js';

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
});
