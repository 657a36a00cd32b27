/**
 * Staging: every (submission, exercise, phase) run gets a fresh folder outside the project that
 * holds exactly what its tests need, laid out like the project so `../../lib/…`, `../lib/…` and
 * `@target/NN-name/…` resolve as they do in the repository:
 *
 *   <stage>/package.json, tsconfig.json, vitest.config.ts   copies
 *   <stage>/lib/                                             a copy of the course library
 *   <stage>/test/<this phase's test files + their rubrics>, test/support/   copies (visible OR hidden, never both)
 *   <stage>/data, <stage>/node_modules                       links to the project's (bound read-only in a sandbox)
 *   <stage>/submission/NN-name/                              a copy of the submission's folder
 *
 * No solutions/, no other exercise's tests, no other student's files. Every grader file (lib,
 * tests, configs) is hashed when staged; `changedFiles()` says which ones differ after the run,
 * which voids the run ("tampering: the tests were modified") whatever isolation was in force.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CourseError } from '../../errors.js';
import { PROJECT_ROOT } from '../paths.js';

export interface Stage {
  /** the staged project root (read-only for the test process where the sandbox can enforce it) */
  root: string;
  /** `@target` points here: <root>/submission */
  target: string;
  /** the staged test files, absolute */
  testFiles: string[];
  /** a writable folder for the run (progress file, tmp, vitest's cache): not inside root */
  work: string;
  /** sha256 of every staged grader file, by path relative to root */
  hashes: Map<string, string>;
}

const ROOT_FILES = ['package.json', 'tsconfig.json', 'vitest.config.ts'];

function hashFile(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function walk(dir: string, out: string[] = []): string[] {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) walk(p, out);
    else if (d.isFile()) out.push(p);
  }
  return out;
}

/** The parent folder of every stage of this process: <tmp>/course-grader-<pid>/. */
export function stagesRoot(): string {
  return path.join(os.tmpdir(), `course-grader-${process.pid}`);
}

function stagesHome(): string {
  const home = stagesRoot();
  fs.mkdirSync(home, { recursive: true, mode: 0o711 });
  return home;
}

export interface StageOptions {
  exercise: string;
  /** the submission's NN-name/ folder */
  folder: string;
  /** test files for this phase (visible or hidden), copied to <root>/test/ */
  testFiles: string[];
  /** 'visible' | 'hidden': part of the folder name, for someone reading ps output */
  phase: string;
}

/** Biggest file / folder a submission may bring: a (sparse) 60 GB file would fill the disk when copied. */
export const MAX_SUBMISSION_FILE_MB = 50;
export const MAX_SUBMISSION_MB = 200;

/** What of the submission's folder is copied: regular files and folders (no links, pipes, devices, node_modules), within the size limits. */
function submissionFiles(folder: string): Set<string> {
  const keep = new Set<string>([folder]);
  let total = 0;
  const visit = (dir: string) => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory() && d.name !== 'node_modules') {
        keep.add(p);
        visit(p);
      } else if (d.isFile()) {
        const mb = fs.lstatSync(p).size / 2 ** 20;
        total += mb;
        const rel = path.relative(path.dirname(folder), p);
        if (mb > MAX_SUBMISSION_FILE_MB) throw new CourseError(`the submission's ${rel} is ${mb.toFixed(0)} MB: files over ${MAX_SUBMISSION_FILE_MB} MB are not graded`, `remove ${rel} from the submission`);
        if (total > MAX_SUBMISSION_MB) throw new CourseError(`the submission's ${path.basename(folder)}/ holds over ${MAX_SUBMISSION_MB} MB`, 'remove large files (data, saved models) from the submission');
        keep.add(p);
      }
    }
  };
  if (!fs.lstatSync(folder).isDirectory()) return new Set();
  visit(folder);
  return keep;
}

export function createStage(opts: StageOptions): Stage {
  // checked before anything is written: a folder too large to copy is refused up front
  const keep = submissionFiles(opts.folder);
  const base = fs.mkdtempSync(path.join(stagesHome(), `${opts.exercise}-${opts.phase}-`));
  try {
    return fillStage(base, opts, keep);
  } catch (err) {
    fs.rmSync(base, { recursive: true, force: true });
    throw err;
  }
}

function fillStage(base: string, opts: StageOptions, keep: Set<string>): Stage {
  const root = path.join(base, 'project');
  const work = path.join(base, 'work');
  fs.mkdirSync(root);
  fs.mkdirSync(path.join(work, 'tmp'), { recursive: true });
  for (const f of ROOT_FILES) {
    if (fs.existsSync(path.join(PROJECT_ROOT, f))) fs.copyFileSync(path.join(PROJECT_ROOT, f), path.join(root, f));
  }
  fs.cpSync(path.join(PROJECT_ROOT, 'lib'), path.join(root, 'lib'), { recursive: true });
  fs.mkdirSync(path.join(root, 'test'));
  fs.cpSync(path.join(PROJECT_ROOT, 'test/support'), path.join(root, 'test/support'), { recursive: true });
  const testFiles = opts.testFiles.map((f) => {
    const dest = path.join(root, 'test', path.basename(f));
    fs.copyFileSync(f, dest);
    // its rubric too: the graded tests read their task's "by hand" policy from it
    const rubric = f.replace(/\.test\.ts$/, '.rubric.json');
    if (rubric !== f && fs.existsSync(rubric)) fs.copyFileSync(rubric, dest.replace(/\.test\.ts$/, '.rubric.json'));
    return dest;
  });
  // large and read-only: linked, not copied (a sandbox binds their real paths read-only)
  fs.symlinkSync(fs.realpathSync(path.join(PROJECT_ROOT, 'data')), path.join(root, 'data'));
  fs.symlinkSync(fs.realpathSync(path.join(PROJECT_ROOT, 'node_modules')), path.join(root, 'node_modules'));
  const target = path.join(root, 'submission');
  fs.cpSync(opts.folder, path.join(target, opts.exercise), {
    recursive: true,
    // a student's own node_modules or links could smuggle in other code, a pipe would hang or
    // fail the copy: regular files and folders only (submissionFiles)
    filter: (src) => keep.has(src),
  });
  const hashes = new Map<string, string>();
  for (const file of walk(root)) {
    if (file.startsWith(`${target}${path.sep}`)) continue;
    hashes.set(path.relative(root, file), hashFile(file));
  }
  return { root, target, testFiles, work, hashes };
}

/** Staged grader files that were changed, removed or added (outside the submission) since staging. */
export function changedFiles(stage: Stage): string[] {
  const changed: string[] = [];
  const now = new Set<string>();
  for (const file of walk(stage.root)) {
    if (file.startsWith(`${stage.target}${path.sep}`)) continue;
    const rel = path.relative(stage.root, file);
    now.add(rel);
    const want = stage.hashes.get(rel);
    if (want === undefined) changed.push(`${rel} (added)`);
    else if (hashFile(file) !== want) changed.push(rel);
  }
  for (const rel of stage.hashes.keys()) if (!now.has(rel)) changed.push(`${rel} (removed)`);
  for (const link of ['data', 'node_modules']) {
    const p = path.join(stage.root, link);
    const want = fs.realpathSync(path.join(PROJECT_ROOT, link));
    let ok = false;
    try {
      ok = fs.lstatSync(p).isSymbolicLink() && fs.readlinkSync(p) === want;
    } catch {
      ok = false;
    }
    if (!ok) changed.push(`${link} (link replaced)`);
  }
  return changed.sort();
}

/** Make the staged tree read-only (the non-sandboxed path: a same-uid process could chmod it back, hence the hashes). */
export function makeReadOnly(dir: string): void {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isSymbolicLink()) continue;
    if (d.isDirectory()) {
      makeReadOnly(p);
      fs.chmodSync(p, 0o555);
    } else fs.chmodSync(p, 0o444);
  }
  fs.chmodSync(dir, 0o555);
}

function makeWritable(dir: string): void {
  try {
    fs.chmodSync(dir, 0o755);
  } catch {
    return;
  }
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const d of entries) if (d.isDirectory() && !d.isSymbolicLink()) makeWritable(path.join(dir, d.name));
}

export function removeStage(stage: Stage): void {
  const base = path.dirname(stage.root);
  makeWritable(base);
  fs.rmSync(base, { recursive: true, force: true });
  // the per-process home goes when its last stage does
  try {
    fs.rmdirSync(path.dirname(base));
  } catch {
    // other stages still running
  }
}
