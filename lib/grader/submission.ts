/**
 * Finding the exercise folders in an uploaded submission. Gradescope unpacks whatever the
 * student uploaded into /autograder/submission; all of these must grade the same:
 *  - a zip of the whole `exercises/` folder            → submission/exercises/NN-name/…
 *  - one or more `NN-name/` folders                    → submission/NN-name/…
 *  - the loose files of the one exercise (index.ts, …) → submission/index.ts
 * and any of them wrapped in one extra folder (zipping a folder instead of its contents).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { copySubmission } from './sandbox/index.js';

export type SubmissionLayout = 'exercises/ folder' | 'NN-name/ folders' | 'loose files';

export interface LocatedSubmission {
  /** folder holding NN-name/ sub-folders: the grading target */
  target: string;
  layout: SubmissionLayout;
  /** the folder the files were found in, relative to the submission root ('' = the root) */
  foundIn: string;
  /** a temporary copy made for loose files; remove it after grading */
  staged?: string;
}

const IGNORED = /^(\.|__MACOSX$|node_modules$)/;
const OTHER_EXERCISE = /^\d\d-/;

function subdirs(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    // a name that is not UTF-8 reads back with U+FFFD and names no folder: never descended into
    .filter((d) => d.isDirectory() && !IGNORED.test(d.name) && !d.name.includes('\uFFFD'))
    .map((d) => d.name)
    .sort();
}

function hasFile(dir: string, name: string): boolean {
  try {
    return fs.statSync(path.join(dir, name)).isFile();
  } catch {
    return false;
  }
}

/** What a folder holds, if it is one of the accepted shapes. */
function classify(dir: string, exercises: readonly string[]): Omit<LocatedSubmission, 'foundIn' | 'staged'> | null {
  const dirs = subdirs(dir);
  if (dirs.includes('exercises') && subdirs(path.join(dir, 'exercises')).some((d) => exercises.includes(d))) {
    return { target: path.join(dir, 'exercises'), layout: 'exercises/ folder' };
  }
  if (dirs.some((d) => exercises.includes(d))) return { target: dir, layout: 'NN-name/ folders' };
  if (hasFile(dir, 'index.ts')) return { target: dir, layout: 'loose files' };
  return null;
}

function describeAccepted(exercises: readonly string[]): string {
  const one = exercises.length === 1 ? exercises[0]! : 'NN-name';
  return `upload your ${one}/ folder, a zip of your exercises/ folder${exercises.length === 1 ? `, or the files of ${one}/ (index.ts, …)` : ''}`;
}

/**
 * Where the exercise folders of `submissionDir` are, for an assignment covering `exercises`.
 * Looks at the root, then (breadth first, up to 3 levels) inside wrapper folders.
 * Loose files are copied to a temporary `<tmp>/<exercise>/` so they grade like a folder.
 */
export function locateSubmission(submissionDir: string, exercises: readonly string[]): LocatedSubmission {
  if (!fs.existsSync(submissionDir) || !fs.statSync(submissionDir).isDirectory()) {
    throw new CourseError(`the submission folder ${submissionDir} does not exist`, describeAccepted(exercises));
  }
  let level = [submissionDir];
  for (let depth = 0; depth <= 3 && level.length > 0; depth++) {
    for (const dir of level) {
      // another exercise's folder is not this one's loose files
      if (dir !== submissionDir && OTHER_EXERCISE.test(path.basename(dir)) && !exercises.includes(path.basename(dir))) continue;
      const found = classify(dir, exercises);
      if (!found) continue;
      const foundIn = path.relative(submissionDir, dir);
      if (found.layout !== 'loose files') return { ...found, foundIn };
      if (exercises.length !== 1) {
        throw new CourseError(
          `the submission has loose files (${foundIn || 'at the top level'}) but this assignment covers ${exercises.length} exercises (${exercises.join(', ')})`,
          'upload the NN-name/ folders (or a zip of exercises/) so each file is graded as the right exercise',
        );
      }
      const staged = fs.mkdtempSync(path.join(os.tmpdir(), 'course-submission-'));
      // regular files only, any name or file type tolerated (sandbox/stage.ts); the stage lists what it skips
      copySubmission(dir, path.join(staged, exercises[0]!), (name) => !IGNORED.test(name));
      return { target: staged, layout: 'loose files', foundIn, staged };
    }
    level = level.flatMap((d) => subdirs(d).map((s) => path.join(d, s)));
  }
  const seen = fs.readdirSync(submissionDir).filter((n) => !IGNORED.test(n)).slice(0, 8);
  throw new CourseError(
    `the submission has none of ${exercises.map((e) => `${e}/`).join(', ')} and no index.ts (it holds: ${seen.join(', ') || 'nothing'})`,
    describeAccepted(exercises),
  );
}
