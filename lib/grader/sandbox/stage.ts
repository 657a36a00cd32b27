/**
 * Staging: every (submission, exercise, phase) run gets a fresh folder outside the project that
 * holds exactly what its tests need, laid out like the project so `../../lib/…`, `../lib/…` and
 * `@target/NN-name/…` resolve as they do in the repository:
 *
 *   <stage>/package.json, tsconfig.json, vitest.config.ts   copies
 *   <stage>/lib/                                             a copy of the course library
 *   <stage>/test/<this phase's test files + their rubrics>, test/support/   copies (visible OR hidden, never both)
 *   <stage>/data, <stage>/node_modules                       links: to the project's, or (root modes) to the
 *                                                            runtime copy outside it (boundary.ts sandboxRuntime)
 *   <stage>/submission/NN-name/                              a copy of the submission's regular files and folders
 *   <base>/work/{tmp,cache,chan}                             the run's writable side (modes: boundary.ts grantStage)
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
import { WORK_CHANNELS, WORK_OWN } from './boundary.js';
import { cleanUpOnExit, removeStale } from '../../process-leftovers.js';

export interface Stage {
  /** the staged project root (read-only for the test process where the sandbox can enforce it) */
  root: string;
  /** `@target` points here: <root>/submission */
  target: string;
  /** the staged test files, absolute */
  testFiles: string[];
  /** a writable folder for the run (progress file, tmp, vitest's cache): not inside root */
  work: string;
  /** where root creates the channel files the run writes (progress): boundary.ts createChannelFile */
  channels: string;
  /** what the stage's data and node_modules links point at */
  links: StageLinks;
  /** what of the submission was not copied, and why (shown with the grade) */
  skipped: string[];
  /** sha256 of every staged grader file, by path relative to root */
  hashes: Map<string, string>;
}

export interface StageLinks {
  data: string;
  node_modules: string;
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

const STAGES_PREFIX = 'course-grader-';
let homeMade = false;

function stagesHome(): string {
  const home = stagesRoot();
  if (!homeMade) {
    homeMade = true;
    // stage roots of graders that died mid-phase (killed): their pid is in the name
    removeStale(STAGES_PREFIX);
    cleanUpOnExit(() => {
      makeWritable(home);
      fs.rmSync(home, { recursive: true, force: true });
    });
  }
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
  /** where data and node_modules link to (default: the project's own) */
  links?: StageLinks;
}

/** Biggest file / folder a submission may bring: a (sparse) 60 GB file would fill the disk when copied. */
export const MAX_SUBMISSION_FILE_MB = 50;
export const MAX_SUBMISSION_MB = 200;

/** Deepest folder and most entries a submission may bring (a tree shape must not crash or stall the grader). */
export const MAX_SUBMISSION_DEPTH = 24;
export const MAX_SUBMISSION_ENTRIES = 5000;

/** A file name as a student can read it back: printable ASCII kept, every other byte as \xNN. */
export function showName(name: Buffer): string {
  return [...name].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

function typeOf(st: fs.Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

interface CopyPlan {
  /** folders to create and files to copy, relative (bytes), in order */
  dirs: Buffer[];
  files: Buffer[];
  skipped: string[];
}

/**
 * What of the submission's folder is copied: regular files and folders whose names are UTF-8,
 * within the size, depth and count limits. Links, pipes, sockets, devices and node_modules are
 * skipped (a link could smuggle in other code or reach outside, a pipe would hang the copy) and
 * listed. Names are read as bytes, so no name can make a path that does not exist.
 */
function planCopy(folder: string, keepTop: (name: string) => boolean = () => true): CopyPlan {
  const plan: CopyPlan = { dirs: [], files: [], skipped: [] };
  const top = path.basename(folder);
  let total = 0;
  let entries = 0;
  const visit = (rel: Buffer, depth: number) => {
    const abs = Buffer.concat([Buffer.from(folder), rel.length ? Buffer.from('/') : Buffer.alloc(0), rel]);
    let names: Buffer[];
    try {
      names = fs.readdirSync(abs, { encoding: 'buffer' }).sort(Buffer.compare);
    } catch (err) {
      plan.skipped.push(`${top}/${showName(rel)} (unreadable: ${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      return;
    }
    for (const name of names) {
      const r = rel.length ? Buffer.concat([rel, Buffer.from('/'), name]) : name;
      const shown = `${top}/${showName(r)}`;
      if (++entries > MAX_SUBMISSION_ENTRIES) {
        plan.skipped.push(`${top}/ beyond its first ${MAX_SUBMISSION_ENTRIES} entries`);
        return;
      }
      if (!Buffer.from(name.toString('utf8')).equals(name)) {
        plan.skipped.push(`${shown} (its name is not UTF-8)`);
        continue;
      }
      if (depth === 0 && !keepTop(name.toString())) continue;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(Buffer.concat([abs, Buffer.from('/'), name]));
      } catch {
        continue; // gone since the listing
      }
      if (st.isDirectory()) {
        if (name.toString() === 'node_modules') plan.skipped.push(`${shown}/ (node_modules is never graded)`);
        else if (depth >= MAX_SUBMISSION_DEPTH) plan.skipped.push(`${shown}/ (deeper than ${MAX_SUBMISSION_DEPTH} folders)`);
        else {
          plan.dirs.push(r);
          visit(r, depth + 1);
        }
      } else if (st.isFile()) {
        const mb = st.size / 2 ** 20;
        total += mb;
        if (mb > MAX_SUBMISSION_FILE_MB) throw new CourseError(`the submission's ${shown} is ${mb.toFixed(0)} MB: files over ${MAX_SUBMISSION_FILE_MB} MB are not graded`, `remove ${shown} from the submission`);
        if (total > MAX_SUBMISSION_MB) throw new CourseError(`the submission's ${top}/ holds over ${MAX_SUBMISSION_MB} MB`, 'remove large files (data, saved models) from the submission');
        plan.files.push(r);
      } else plan.skipped.push(`${shown} (${typeOf(st)})`);
    }
  };
  if (fs.lstatSync(folder).isDirectory()) visit(Buffer.alloc(0), 0);
  return plan;
}

/**
 * Copies a submission folder to `dest` (regular files and folders only, planCopy); returns what
 * was skipped. A file is opened without following links and never as a pipe or device
 * (O_NOFOLLOW|O_NONBLOCK, then checked to be a regular file), so a file swapped for one between
 * the listing and the copy is skipped, not followed or waited on.
 */
export function copySubmission(folder: string, dest: string, keepTop?: (name: string) => boolean): string[] {
  const plan = planCopy(folder, keepTop);
  const src = (r: Buffer) => Buffer.concat([Buffer.from(folder), Buffer.from('/'), r]);
  const to = (r: Buffer) => Buffer.concat([Buffer.from(dest), Buffer.from('/'), r]);
  fs.mkdirSync(dest, { recursive: true });
  for (const d of plan.dirs) fs.mkdirSync(to(d));
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  for (const f of plan.files) {
    let fd: number;
    try {
      fd = fs.openSync(src(f), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch {
      plan.skipped.push(`${path.basename(folder)}/${showName(f)} (changed while it was copied)`);
      continue;
    }
    try {
      if (!fs.fstatSync(fd).isFile()) {
        plan.skipped.push(`${path.basename(folder)}/${showName(f)} (changed while it was copied)`);
        continue;
      }
      fs.writeFileSync(to(f), fs.readFileSync(fd));
    } finally {
      fs.closeSync(fd);
    }
  }
  return plan.skipped;
}

export function createStage(opts: StageOptions): Stage {
  // checked before anything is written: a folder too large to copy is refused up front
  planCopy(opts.folder);
  const base = fs.mkdtempSync(path.join(stagesHome(), `${opts.exercise}-${opts.phase}-`));
  try {
    return fillStage(base, opts);
  } catch (err) {
    fs.rmSync(base, { recursive: true, force: true });
    throw err;
  }
}

function fillStage(base: string, opts: StageOptions): Stage {
  const root = path.join(base, 'project');
  const work = path.join(base, 'work');
  fs.mkdirSync(root);
  for (const sub of [...WORK_OWN, WORK_CHANNELS]) fs.mkdirSync(path.join(work, sub), { recursive: true });
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
  const links = opts.links ?? projectLinks();
  fs.symlinkSync(links.data, path.join(root, 'data'));
  fs.symlinkSync(links.node_modules, path.join(root, 'node_modules'));
  const target = path.join(root, 'submission');
  const skipped = copySubmission(opts.folder, path.join(target, opts.exercise));
  const hashes = new Map<string, string>();
  for (const file of walk(root)) {
    if (file.startsWith(`${target}${path.sep}`)) continue;
    hashes.set(path.relative(root, file), hashFile(file));
  }
  return { root, target, testFiles, work, channels: path.join(work, WORK_CHANNELS), links, skipped, hashes };
}

/** The project's own data and node_modules (real paths). */
function projectLinks(): StageLinks {
  return { data: fs.realpathSync(path.join(PROJECT_ROOT, 'data')), node_modules: fs.realpathSync(path.join(PROJECT_ROOT, 'node_modules')) };
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
  for (const link of ['data', 'node_modules'] as const) {
    const p = path.join(stage.root, link);
    const want = stage.links[link];
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
