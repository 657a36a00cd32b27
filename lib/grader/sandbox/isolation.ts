/**
 * Which isolation the grader can put around a test process on this machine, and the command
 * line that does it. No home-made jail: bubblewrap (bwrap) and util-linux's setpriv/unshare.
 *
 *  - 'bwrap'   bubblewrap works: the test process sees only read-only binds of the system
 *              (/usr, …), the staged project, the data and node_modules, plus one writable work
 *              folder; its own PID, network, IPC and user namespaces (no network, and every
 *              process it starts dies with it). When the grader is root it first drops to a
 *              dedicated unprivileged uid with setpriv, so the sandbox is not root's.
 *  - 'setpriv' root without bwrap: `unshare --pid --net --fork --kill-child` then setpriv to a
 *              dedicated uid that owns nothing but the work folder (the staged files are root's
 *              and read-only to it).
 *  - 'none'    neither (a student grading their own work as an ordinary user, no user
 *              namespaces): the staged files are read-only and hash-checked after the run, the
 *              process group and a sweep (environment marker, cwd) end what it started.
 * COURSE_GRADER_ISOLATION=none|setpriv|bwrap forces a weaker mode (self-tests of the fallbacks);
 * COURSE_GRADER_UNSHARE=0 makes setpriv skip unshare, as where a container refuses namespaces.
 * What each mode guarantees: guarantees() below, docs/GRADER.md "Threat model"; the filesystem
 * side of the boundary (runtime tree, locks, channels, leftovers): boundary.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanUpOnExit, pidAlive } from '../../process-leftovers.js';

export type IsolationMode = 'bwrap' | 'setpriv' | 'none';

export interface Isolation {
  mode: IsolationMode;
  /** uid/gid the test process runs as (root modes only) */
  uid?: number;
  /**
   * uid of vitest's main process, which holds the channel to the grader (root modes only): not
   * the workers' uid, so code in a worker cannot signal or trace it or take its descriptors
   * (issue 21; lib/grader/vitest.grade.config.ts starts the workers as `uid`)
   */
  mainUid?: number;
  /** one line for `course doctor` and report.md */
  describe: string;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function which(bin: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const p = path.join(dir, bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

/**
 * uids the sandbox runs as: one per concurrent run, in a range no account uses. Each grader
 * process claims a block of 64 with a lock file (its pid inside), so two graders on one machine
 * never share a uid (whose sweep would kill the other's processes) even when their pids are
 * equal modulo the number of blocks; a lock whose process is gone is taken over.
 */
const UID_BASE = 210_000;
const UID_BLOCKS = 4096;
const UID_LOCKS = path.join(os.tmpdir(), 'course-grader-uids');
let uidBlock: number | null = null;
let nextSlot = 0;

function claimUidBlock(): number {
  if (uidBlock !== null) return uidBlock;
  fs.mkdirSync(UID_LOCKS, { recursive: true, mode: 0o700 });
  const me = String(process.pid);
  for (let i = 0; i < UID_BLOCKS && uidBlock === null; i++) {
    const block = (process.pid + i) % UID_BLOCKS;
    const file = path.join(UID_LOCKS, String(block));
    try {
      fs.writeFileSync(file, me, { flag: 'wx' });
    } catch {
      let owner = 0;
      try {
        owner = Number(fs.readFileSync(file, 'utf8'));
      } catch {
        continue;
      }
      if (owner !== process.pid && owner > 0 && pidAlive(owner)) continue;
      try {
        fs.writeFileSync(file, me); // stale (its grader is gone): take it over
      } catch {
        continue;
      }
    }
    // another grader may have taken the same stale lock at the same moment: the file decides
    try {
      if (fs.readFileSync(file, 'utf8') !== me) continue;
    } catch {
      continue;
    }
    uidBlock = block;
    cleanUpOnExit(() => {
      try {
        if (fs.readFileSync(file, 'utf8') === me) fs.rmSync(file);
      } catch {
        // already gone
      }
    });
  }
  if (uidBlock === null) throw new Error(`no free sandbox uid block in ${UID_LOCKS} (${UID_BLOCKS} graders running?)`);
  return uidBlock;
}

/** Whether `uid` is one the grader runs sandboxes as (self-tests: nothing of theirs may be left). */
export function isSandboxUid(uid: number): boolean {
  return uid >= UID_BASE && uid < UID_BASE + UID_BLOCKS * 64;
}

/** setpriv mode: whether the run also gets PID and network namespaces (unshare worked here). */
export function setprivHasNamespaces(): boolean {
  detectIsolation();
  return namespaces;
}

export function sandboxUid(): number {
  const slot = nextSlot++ % 64;
  return UID_BASE + claimUidBlock() * 64 + slot;
}

function works(cmd: string[]): boolean {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

let cached: { mode: IsolationMode; why: string[] } | null = null;
/** setpriv mode: whether unshare could add PID and network namespaces */
let namespaces = true;

/** Probe once: what works on this kernel, as this user. */
export function detectIsolation(): { mode: IsolationMode; why: string[] } {
  if (cached) return cached;
  const why: string[] = [];
  const forced = process.env.COURSE_GRADER_ISOLATION as IsolationMode | undefined;
  const order: IsolationMode[] = ['bwrap', 'setpriv', 'none'];
  const allowed = forced && order.includes(forced) ? order.slice(order.indexOf(forced)) : order;
  if (forced) why.push(`COURSE_GRADER_ISOLATION=${forced}`);
  const drop = dropTo(65534);
  let mode: IsolationMode = 'none';
  if (allowed.includes('bwrap')) {
    if (!which('bwrap')) why.push('bwrap not installed (apt-get install bubblewrap)');
    else if (isRoot() && !which('setpriv')) why.push('setpriv not installed (util-linux)');
    else {
      const probe = isRoot()
        ? ['bwrap', '--ro-bind', '/', '/', '--unshare-pid', '--unshare-net', '--die-with-parent', '--', ...drop, 'true']
        : ['bwrap', '--ro-bind', '/', '/', '--unshare-all', '--die-with-parent', '--', 'true'];
      if (works(probe)) mode = 'bwrap';
      else why.push('bwrap cannot create namespaces here (user namespaces disabled?)');
    }
  }
  if (mode === 'none' && allowed.includes('setpriv')) {
    if (!isRoot()) why.push('not root: cannot switch to a sandbox user');
    else if (!which('setpriv') || !which('unshare')) why.push('setpriv/unshare not installed (util-linux)');
    // COURSE_GRADER_UNSHARE=0: as in a container that refuses namespaces (the CI run of that case)
    else if (process.env.COURSE_GRADER_UNSHARE !== '0' && works(['unshare', '--pid', '--net', '--fork', '--kill-child', '--', ...drop, 'true'])) mode = 'setpriv';
    else if (works([...drop, 'true'])) {
      // e.g. a Docker container without CAP_SYS_ADMIN: still a uid that owns nothing
      mode = 'setpriv';
      namespaces = false;
      why.push('unshare --pid --net failed here: setpriv without PID/network namespaces');
    } else why.push('setpriv failed here');
  }
  cached = { mode, why };
  return cached;
}

export function isolationLine(mode: IsolationMode = detectIsolation().mode): string {
  switch (mode) {
    case 'bwrap':
      return isRoot()
        ? 'bwrap sandbox as an unprivileged uid: read-only staged project, no network, own PID namespace'
        : 'bwrap sandbox (user namespace): read-only staged project, no network, own PID namespace';
    case 'setpriv':
      return namespaces
        ? 'setpriv to an unprivileged uid in its own PID and network namespace (no bwrap): staged files read-only to it'
        : 'setpriv to an unprivileged uid (no bwrap, no namespaces: network open; leftovers killed by uid)';
    case 'none':
      return 'no sandbox (not root, no user namespaces): staged read-only copy, hash-checked after the run';
  }
}

/**
 * What to install or change for the strongest mode (`course doctor`), or null when this is it.
 * bwrap is the only mode with its own filesystem view, network and PID namespaces everywhere.
 */
export function strongerIsolation(mode: IsolationMode = detectIsolation().mode): string | null {
  if (mode === 'bwrap') return null;
  const root = isRoot();
  if (!which('bwrap')) {
    return `${mode} now; install bubblewrap for the strongest sandbox (\`apt-get install bubblewrap\`, \`dnf install bubblewrap\`)${root ? '' : ', or grade as root (setpriv to a sandbox uid)'}; docs/GRADER.md "Threat model"`;
  }
  return `${mode} now: bwrap is installed but cannot create namespaces here (a container without CAP_SYS_ADMIN, or unprivileged user namespaces disabled: \`sysctl kernel.unprivileged_userns_clone=1\`); docs/GRADER.md "Threat model"`;
}

/** The isolation for one run: `mode` (e.g. from a self-test) or the strongest that works here. */
export function chooseIsolation(forced?: IsolationMode): Isolation {
  const mode = forced ?? detectIsolation().mode;
  if (mode === 'none' || !isRoot()) return { mode, describe: isolationLine(mode) };
  return { mode, uid: sandboxUid(), mainUid: sandboxUid(), describe: isolationLine(mode) };
}

export interface WrapPaths {
  /** staged project (read-only) */
  root: string;
  /** writable work folder */
  work: string;
  /** real paths the staged links point at (read-only) */
  readOnly: string[];
  /** more writable folders (vitest's main process's own temporary folder, issue 21) */
  writable?: string[];
}

const SYSTEM_RO = ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/lib32', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/passwd', '/etc/group', '/etc/nsswitch.conf', '/etc/localtime', '/etc/hosts'];

// ---- issue 26 (webgpu backend), kept to these lines: the GPU inside the bwrap sandbox ----
/**
 * bwrap binds for a machine with a GPU: its device files (read-write, as the driver needs) and,
 * read-only, the Vulkan driver manifests outside /usr and the sysfs parts drivers enumerate
 * devices from. Nothing is added on a machine without GPU device files (this one, CI).
 * setpriv mode needs nothing (the filesystem is the host's), except that --clear-groups drops the
 * `render`/`video` group a /dev/dri node may require: there webgpu finds no adapter and the
 * canary reports an environment error (docs/NATIVE.md "WebGPU").
 */
export function gpuBinds(exists: (p: string) => boolean = fs.existsSync, devEntries: () => string[] = () => fs.readdirSync('/dev')): [string, string][] {
  const devices = ['/dev/dri', '/dev/kfd', '/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools', '/dev/nvidia-modeset', ...devEntries().filter((d) => /^nvidia\d+$/.test(d)).map((d) => `/dev/${d}`)].filter(exists);
  if (devices.length === 0) return [];
  const readOnly = ['/etc/vulkan', '/usr/local/nvidia', '/usr/local/share/vulkan', '/etc/glvnd', '/sys/dev', '/sys/devices', '/sys/bus/pci', '/sys/class/drm'].filter(exists);
  return [...devices.map((d): [string, string] => ['--dev-bind', d]), ...readOnly.map((p): [string, string] => ['--ro-bind', p])];
}
// ---- end of issue 26's part ----

/** The node binary's install prefix (…/bin/node → …), bound when it lies outside /usr. */
function nodePrefix(): string {
  return path.dirname(path.dirname(fs.realpathSync(process.execPath)));
}

/** Drops to the sandbox uid for good: no groups, no capabilities (not even inheritable), no setuid gains. */
function dropTo(uid: number): string[] {
  return ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--'];
}

/** The argv prefix that starts a vitest worker as the sandbox uid from the main process (fork's execPath + execArgv). */
export function workerDrop(uid: number): string[] {
  return dropTo(uid);
}

/**
 * vitest's main process: its own uid, the sandbox uid's group (it reads what the workers read),
 * and only the capabilities to start workers as the sandbox uid (setpriv) and to stop them.
 */
function dropToMain(uid: number, gid: number): string[] {
  const caps = '-all,+setuid,+setgid,+kill';
  return ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', `--inh-caps=${caps}`, `--ambient-caps=${caps}`, `--bounding-set=${caps}`, '--no-new-privs', '--'];
}

/**
 * argv prefix that runs a command inside the chosen isolation. As root, bwrap itself runs as
 * root (it can bind any path, e.g. a project under /root) without a user namespace, and the
 * command inside it drops to the sandbox uid with setpriv: the processes are that uid inside and
 * outside. As an ordinary user, bwrap makes a user namespace and the command keeps the user's uid.
 */
export function wrapCommand(iso: Isolation, p: WrapPaths): string[] {
  const drop = iso.uid === undefined ? [] : iso.mainUid !== undefined ? dropToMain(iso.mainUid, iso.uid) : dropTo(iso.uid);
  if (iso.mode === 'none') return [];
  if (iso.mode === 'setpriv') return namespaces ? ['unshare', '--pid', '--net', '--fork', '--kill-child', '--', ...drop] : drop;
  const unshare = iso.uid !== undefined ? ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'] : ['--unshare-all'];
  const args = ['bwrap', ...unshare, '--die-with-parent', '--new-session', '--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/tmp'];
  const binds: [string, string][] = SYSTEM_RO.map((s) => ['--ro-bind-try', s]);
  const prefix = nodePrefix();
  if (!prefix.startsWith('/usr/') && prefix !== '/usr') binds.push(['--ro-bind', prefix]);
  for (const r of p.readOnly) binds.push(['--ro-bind', r]);
  binds.push(...gpuBinds()); // issue 26: the GPU, where there is one
  binds.push(['--ro-bind', p.root], ['--bind', p.work], ...(p.writable ?? []).map((w): [string, string] => ['--bind', w]));
  // the folders above each mount point: bwrap would create them 0700 (root's) when run as root
  const made = new Set<string>(['/', '/tmp', '/proc', '/dev']);
  for (const [, dest] of binds) {
    const parts = dest.split('/').filter(Boolean).slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      if (made.has(dir) || binds.some(([, d]) => d === dir)) continue;
      made.add(dir);
      args.push('--perms', '0755', '--dir', dir);
    }
  }
  for (const [flag, dest] of binds) args.push(flag, dest, dest);
  args.push('--chdir', p.root, '--');
  return [...args, ...drop];
}

/** Environment for the test process: an allow-list, so the instructor's tokens and keys stay out. */
export function sandboxEnv(extra: Record<string, string>, work: string): NodeJS.ProcessEnv {
  // VK_*: which Vulkan driver webgpu uses (issue 26)
  const keep = /^(PATH|LANG|LC_[A-Z]+|TZ|TFJS_BACKEND|TF_CPP_MIN_LOG_LEVEL|CUDA_VISIBLE_DEVICES|LD_LIBRARY_PATH|NODE_OPTIONS|VK_ICD_FILENAMES|VK_DRIVER_FILES|COURSE_[A-Z_]+)$/;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (keep.test(k) && !/^COURSE_GRADER_/.test(k)) env[k] = v;
  }
  return { ...env, HOME: path.join(work, 'tmp'), TMPDIR: path.join(work, 'tmp'), ...extra };
}

function readProc(pid: string, what: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${what}`, 'latin1');
  } catch {
    return '';
  }
}

/**
 * Kill every process the run left behind: those of the sandbox uid (root modes), those whose
 * environment carries the run's marker, and those whose cwd lies in the stage. Repeated until a
 * pass finds nothing (a process may fork while we look). Returns how many were killed.
 */
export function sweep(opts: { uid?: number; marker: string; base: string }): number {
  let killed = 0;
  for (let round = 0; round < 20; round++) {
    let found = 0;
    let pids: string[] = [];
    try {
      pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid);
    } catch {
      return killed; // no /proc (not Linux): the process group kill is all we have
    }
    for (const pid of pids) {
      const status = readProc(pid, 'status');
      if (/^State:\s+[ZX]/m.test(status)) continue; // a zombie is dead already
      let hit = false;
      if (opts.uid !== undefined) {
        const m = /^Uid:\s+(\d+)/m.exec(status);
        hit = m !== null && Number(m[1]) === opts.uid;
      }
      if (!hit) hit = readProc(pid, 'environ').split('\0').includes(opts.marker);
      if (!hit) {
        try {
          const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
          hit = cwd === opts.base || cwd.startsWith(`${opts.base}/`);
        } catch {
          hit = false;
        }
      }
      if (hit) {
        try {
          process.kill(Number(pid), 'SIGKILL');
          found++;
        } catch {
          // gone already
        }
      }
    }
    killed += found;
    if (found === 0) break;
  }
  return killed;
}

/** What held for one exercise's runs (results.json extra_data, report.md; docs/GRADER.md "Threat model"). */
export interface Guarantees {
  mode: IsolationMode;
  held: string[];
  notHeld: string[];
}

/**
 * The guarantees of `iso` on this machine, as short phrases. `fence` is what the filesystem
 * boundary did (sandbox/boundary.ts raiseFence): which secrets were locked, whether the stage
 * names the project.
 */
export function guarantees(iso: Isolation, fence: { locked: string[]; hidesProject: boolean }): Guarantees {
  const held: string[] = [];
  const notHeld: string[] = [];
  const say = (ok: boolean, yes: string, no: string) => (ok ? held : notHeld).push(ok ? yes : no);
  const uid = iso.uid !== undefined;
  say(uid || iso.mode === 'bwrap', 'the staged project is read-only to it', 'runs as the grading user: it can change what that user can (staged files are hash-checked, a change voids the run)');
  say(uid, 'runs as a dedicated unprivileged uid', 'no separate uid: it can read whatever the grading user can');
  if (iso.mode === 'bwrap') held.push('sees only the stage, system folders and the runtime (mount namespace)');
  else if (uid) {
    say(fence.locked.length > 0, 'solutions/, .git, hidden tests, submissions and outputs locked from it (o-rwx)', 'no secrets were locked');
    notHeld.push('world-readable files elsewhere on the machine stay readable (no mount namespace)');
  }
  if (uid) say(fence.hidesProject, 'the stage names no project path', 'the stage links the project\'s node_modules (another filesystem): its path is visible');
  const ns = iso.mode === 'bwrap' || (iso.mode === 'setpriv' && setprivHasNamespaces());
  say(ns, 'own PID and network namespace (no network, every process dies with the run)', iso.mode === 'none' ? 'network open; leftovers found by environment marker and cwd' : 'network open and processes visible (no namespaces); leftovers killed by uid');
  if (uid) held.push('root never follows the sandbox\'s links; its files in /tmp, /var/tmp, /dev/shm and System V IPC removed after each run');
  // vitest's main process holds the channel to the grader: root modes run it as its own uid
  say(iso.mainUid !== undefined, 'the test runner\'s main process (the channel to the grader) runs as another uid: the submission cannot signal, trace or take its descriptors', 'the test runner\'s main process shares the submission\'s uid: it can be signalled or traced (a pass still needs a start the grader saw; docs/GRADER.md)');
  notHeld.push('code in the worker can still lie about what its own process saw (forged test events are flagged for review, not prevented)');
  return { mode: iso.mode, held, notHeld };
}

/** The guarantees of a grade's exercises (they share one mode per grader run), for results.json. */
export function sandboxOf(exercises: { sandbox?: Guarantees }[]): Guarantees | undefined {
  return exercises.find((e) => e.sandbox)?.sandbox;
}

/** report.md lines under "Isolation": which guarantees held and which did not. */
export function guaranteeLines(exercises: { sandbox?: Guarantees }[]): string[] {
  const g = sandboxOf(exercises);
  if (!g) return [];
  return [`Guarantees held: ${g.held.join('; ') || 'none'}  `, `Not held: ${g.notHeld.join('; ') || 'none'}`];
}
