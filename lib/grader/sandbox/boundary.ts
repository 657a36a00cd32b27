/**
 * The sandbox's filesystem boundary when the grader is root and the test process runs as a
 * dedicated sandbox uid (bwrap as root, setpriv): what that uid can read and write, and how the
 * root side touches what it can write. Everything about file modes, ownership and links lives
 * here; isolation.ts says how a process is started, stage.ts what a stage holds.
 *
 * Without namespaces (setpriv in a container that refuses them) the sandbox uid sees the host's
 * filesystem, so "what it can read" is decided by modes alone:
 *
 *  - the runtime: node_modules and data/ are hard-linked (copied where a link cannot be made)
 *    into <tmp>/course-grader-runtime-<pid>/, owned by root, read-only to everyone; the stage
 *    links there, so nothing in the stage names the project's path (sandboxRuntime);
 *  - the secrets: solutions/, the project's .git and scratch copies, the hidden-test folder, the
 *    submissions and the output folders lose their permissions for "others" (lockFromSandbox);
 *    the sandbox uid is such an "other" (no groups), everyone else keeps what they had;
 *  - the stage: <base> root:<uid> 0750 (only this run's uid may enter), project/ root's and
 *    read-only, work/ root:<uid> 0750 holding tmp/ and cache/ (the uid's own, 0700: a private
 *    TMPDIR and HOME) and chan/ (root:<uid> 0750: the progress files, created by root with
 *    O_EXCL|O_NOFOLLOW and handed to the uid by descriptor; the uid writes into them but cannot
 *    replace, rename or link them, so the root side never follows a name the sandbox chose);
 *  - after the run: every file the uid owns in a world-writable place (/tmp, /var/tmp,
 *    /dev/shm, …) and its System V IPC objects are removed (removeSandboxLeftovers), so nothing
 *    passes from one run to the next.
 *
 * What this cannot do without namespaces is in docs/GRADER.md ("Threat model").
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import { cleanUpOnExit, removeStale } from '../../process-leftovers.js';
import type { StageLinks } from './stage.js';

// ---------------------------------------------------------------- the runtime tree

export interface Runtime {
  /** what the stage's node_modules and data links point at */
  links: { node_modules: string; data: string };
  /** the node binary the sandbox uid runs: process.execPath, or a link/copy of it when a private
   * folder hides it (a Node from ~/.cache under root's 0700 home: setpriv could not execute it) */
  node: string;
  /** false when node_modules could not be hard-linked or copied and the stage links the project's own */
  hidesProject: boolean;
}

const RUNTIME_PREFIX = 'course-grader-runtime-';
let runtime: Runtime | null = null;

/**
 * A hard link shares the project file's inode: one the sandbox could write (group/other-writable)
 * or could not read is replaced by a private copy, so the sandbox never reaches the project
 * through the link and always reads what it needs.
 */
function secureTree(dir: string): void {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isSymbolicLink()) continue;
    const st = fs.lstatSync(p);
    if (d.isDirectory()) {
      fs.chmodSync(p, (st.mode & 0o755) | 0o555); // our own new folder, not the project's
      secureTree(p);
    } else if (d.isFile() && ((st.mode & 0o022) !== 0 || (st.mode & 0o004) === 0)) {
      const copy = `${p}.course-copy`;
      fs.copyFileSync(p, copy);
      fs.chmodSync(copy, (st.mode & 0o755) | 0o444);
      fs.renameSync(copy, p);
    }
  }
}

/** Hard-links `src` to `dest` (cp -al); copies where links cannot be made (another filesystem). */
function linkTree(src: string, dest: string, copyFallback: boolean): boolean {
  if (spawnSync('cp', ['-a', '--link', '--', src, dest], { stdio: 'ignore' }).status === 0) return true;
  fs.rmSync(dest, { recursive: true, force: true });
  if (!copyFallback) return false;
  fs.cpSync(src, dest, { recursive: true, verbatimSymlinks: true });
  return true;
}

/**
 * The node_modules and data the sandbox uid reads, outside every project tree; built once per
 * grader process (cp -al of ~20k files: under a second) and removed when it exits.
 */
export function sandboxRuntime(): Runtime {
  if (runtime) return runtime;
  // runtime trees of graders that died without their clean-up (SIGKILL), and one of a dead
  // process that had our pid (containers reuse pids): removed
  removeStale(RUNTIME_PREFIX);
  const dir = path.join(os.tmpdir(), `${RUNTIME_PREFIX}${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  cleanUpOnExit(() => fs.rmSync(dir, { recursive: true, force: true }));
  const real = (name: string) => fs.realpathSync(path.join(PROJECT_ROOT, name));
  const data = path.join(dir, 'data');
  linkTree(real('data'), data, true);
  secureTree(data);
  const realNm = real('node_modules');
  // already outside any project (the Gradescope image keeps it in /opt/course-runtime): used as is
  if (!realNm.startsWith(`${PROJECT_ROOT}/`) && !fs.existsSync(path.join(path.dirname(realNm), 'package.json'))) {
    runtime = { links: { data, node_modules: realNm }, hidesProject: true, node: runtimeNode(dir) };
    return runtime;
  }
  const nm = path.join(dir, 'node_modules');
  // node_modules is large: no full copy per grader; where links fail the stage names the project's
  const hidesProject = linkTree(realNm, nm, false);
  if (hidesProject) secureTree(nm);
  runtime = { links: { data, node_modules: hidesProject ? nm : realNm }, hidesProject, node: runtimeNode(dir) };
  return runtime;
}

/** Whether others may reach and execute `file` (every folder above it searchable, the file o+x). */
function othersCanExecute(file: string): boolean {
  if ((fs.statSync(file).mode & 0o001) === 0) return false;
  for (let d = path.dirname(file); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

/** process.execPath where the sandbox uid can execute it, else a hard link (or copy) in the runtime folder. */
function runtimeNode(dir: string): string {
  const real = fs.realpathSync(process.execPath);
  if (othersCanExecute(real)) return real;
  const dest = path.join(dir, 'node');
  try {
    fs.linkSync(real, dest);
  } catch {
    fs.copyFileSync(real, dest);
  }
  fs.chmodSync(dest, 0o755);
  return dest;
}

// ---------------------------------------------------------------- what the sandbox may not read

/** What holds answers or grades besides solutions/ and .git: scratch copies (mutation testing, older grader versions), reports/ (earlier grades). */
const PROJECT_SECRETS = ['solutions', '.git', '.stryker-tmp', 'mutation', 'reports'];
const SCRATCH = /^\.(grade|bench-watch)-/;

/** The project's folders that hold answers: solutions/, its .git (when a folder), scratch copies. */
export function projectSecrets(root = PROJECT_ROOT): string[] {
  const out = PROJECT_SECRETS.map((n) => path.join(root, n));
  for (const n of fs.readdirSync(root)) if (SCRATCH.test(n)) out.push(path.join(root, n));
  const test = path.join(root, 'test');
  if (fs.existsSync(test)) for (const n of fs.readdirSync(test)) if (n.startsWith('.hidden-')) out.push(path.join(test, n));
  return out;
}

/**
 * Takes "others'" permissions off each path (its real path: a link is not what is protected).
 * The sandbox uid has no groups and owns none of these, so it can no longer enter or read them;
 * owner and group keep theirs. Returns the paths locked (those that exist).
 */
export function lockFromSandbox(paths: (string | undefined)[]): string[] {
  const locked: string[] = [];
  for (const p of paths) {
    if (!p) continue;
    let real: string;
    try {
      real = fs.realpathSync(p);
    } catch {
      continue; // not there: nothing to protect
    }
    const st = fs.statSync(real);
    if ((st.mode & 0o007) !== 0) fs.chmodSync(real, st.mode & 0o7770);
    locked.push(real);
  }
  return locked;
}

// ---------------------------------------------------------------- the stage's modes

/** Sub-folders of a stage's work/ (stage.ts creates them): the uid's own, and the channels. */
export const WORK_OWN = ['tmp', 'cache'];
export const WORK_CHANNELS = 'chan';

/**
 * Let the sandbox uid enter the stage, read the project copy, write its tmp/ and cache/ and the
 * channel files root creates (createChannelFile); nothing else. Called before anything runs, on
 * folders root just made.
 */
export function grantStage(uid: number | undefined, base: string, work: string): void {
  if (uid === undefined) return;
  for (const dir of [base, work, path.join(work, WORK_CHANNELS)]) {
    fs.chownSync(dir, 0, uid);
    fs.chmodSync(dir, 0o750);
  }
  for (const own of WORK_OWN) {
    fs.chownSync(path.join(work, own), uid, uid);
    fs.chmodSync(path.join(work, own), 0o700);
  }
}

/**
 * A file the sandbox writes and root reads (the progress file): created by root, never through a
 * link (O_EXCL|O_NOFOLLOW), in a folder the sandbox cannot change, and handed to the uid by the
 * descriptor root opened.
 */
export function createChannelFile(file: string, uid: number | undefined): void {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    if (uid !== undefined) fs.fchownSync(fd, uid, uid);
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------- after the run

/** Places any uid can write to (a stash there would outlive the run, or reach the next one). */
export const SHARED_WRITABLE = ['/tmp', '/var/tmp', '/dev/shm', '/dev/mqueue', '/run/lock', '/var/lock'];

function join(dir: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dir, Buffer.from('/'), name]);
}

/**
 * Removes what `uid` owns under `dir`, recursing into world-writable folders it does not own
 * (e.g. a 1777 scratch folder of another user). Names are bytes (a stash may have any name);
 * nothing is followed (lstat, and rm does not follow links). Run only once every process of the
 * uid is dead, so nothing is renamed under us.
 */
function removeOwned(dir: Buffer, uid: number, depth: number, removed: string[]): void {
  let names: Buffer[];
  try {
    names = fs.readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return;
  }
  for (const name of names) {
    const p = join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.uid === uid) {
      fs.rmSync(p, { recursive: true, force: true });
      removed.push(p.toString('latin1'));
    } else if (st.isDirectory() && (st.mode & 0o002) !== 0 && depth < 6) removeOwned(p, uid, depth + 1, removed);
  }
}

/** System V shared memory, queues and semaphores of `uid` (no IPC namespace in setpriv mode). */
function removeIpc(uid: number, removed: string[]): void {
  for (const [kind, flag] of [['shm', '-m'], ['msg', '-q'], ['sem', '-s']] as const) {
    let lines: string[];
    try {
      lines = fs.readFileSync(`/proc/sysvipc/${kind}`, 'utf8').trim().split('\n');
    } catch {
      continue;
    }
    const head = lines[0]!.trim().split(/\s+/);
    const [idCol, uidCol] = [head.findIndex((h) => /id$/.test(h) && h !== 'key'), head.indexOf('uid')];
    if (idCol < 0 || uidCol < 0) continue;
    for (const line of lines.slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (Number(cols[uidCol]) !== uid) continue;
      spawnSync('ipcrm', [flag, cols[idCol]!], { stdio: 'ignore' });
      removed.push(`System V ${kind} ${cols[idCol]}`);
    }
  }
}

/** Everything `uid` left in shared places after its run; returns what was removed. */
export function removeSandboxLeftovers(uid: number | undefined): string[] {
  if (uid === undefined) return [];
  const removed: string[] = [];
  for (const dir of new Set([...SHARED_WRITABLE, os.tmpdir()])) removeOwned(Buffer.from(dir), uid, 0, removed);
  removeIpc(uid, removed);
  return removed;
}

/** Files a sandbox uid (`owned`) owns in the shared places (for the self-tests: must be none after a run). */
export function sandboxFilesLeft(owned: (uid: number) => boolean): string[] {
  const found: string[] = [];
  const visit = (dir: Buffer, depth: number) => {
    let names: Buffer[] = [];
    try {
      names = fs.readdirSync(dir, { encoding: 'buffer' });
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      try {
        const st = fs.lstatSync(p);
        if (owned(st.uid)) found.push(p.toString('latin1'));
        else if (st.isDirectory() && (st.mode & 0o002) !== 0 && depth < 6) visit(p, depth + 1);
      } catch {
        // gone
      }
    }
  };
  for (const dir of new Set([...SHARED_WRITABLE, os.tmpdir()])) visit(Buffer.from(dir), 0);
  return found;
}

// ---------------------------------------------------------------- one exercise's boundary

export interface Fence {
  /** where the stage links data and node_modules (root modes: the runtime tree) */
  links?: StageLinks;
  /** the real paths taken out of the sandbox's reach */
  locked: string[];
  /** the stage names no path inside the project */
  hidesProject: boolean;
}

/**
 * Before an exercise runs as `uid`: the runtime tree it reads and the secrets it may not read
 * (the project's, plus `secrets`: hidden tests, the submissions, output folders). Nothing to do
 * when the sandbox is the grader's own uid ('none': nothing can be hidden from it).
 */
export function raiseFence(uid: number | undefined, secrets: (string | undefined)[]): Fence {
  if (uid === undefined) return { locked: [], hidesProject: false };
  const rt = sandboxRuntime();
  // the grader's own tsx cache (<tmp>/tsx-<uid>, 0755 and 0644 as tsx makes it) holds transpiled copies of
  // every .ts file this user ran: seen here, solutions/01's index.ts, readable to the sandbox uid in setpriv mode
  const tsxCache = path.join(os.tmpdir(), `tsx-${process.getuid?.() ?? 0}`);
  return { links: rt.links, locked: lockFromSandbox([...projectSecrets(), ...secrets, tsxCache]), hidesProject: rt.hidesProject };
}
