/**
 * What state the native backend (@tensorflow/tfjs-node) is in, for `course doctor` and tests.
 * Reads what scripts/provision-native.mjs left behind; whether it works is the shared training
 * probe (probe.cjs, the verdict initBackend and the install check use too), run in a child
 * process because a broken binding can kill the process that loads it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NATIVE_PACKAGE = '@tensorflow/tfjs-node';
export const PROVISION_COMMAND = 'npm run provision-native';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where scripts/provision-native.mjs writes its log and its last result. */
export const PROVISION_LOG = path.join(projectRoot, 'node_modules', '.cache', 'tfjs-course', 'provision-native.log');
const PROVISION_RESULT = path.join(projectRoot, 'node_modules', '.cache', 'tfjs-course', 'provision-native.json');

export interface LastProvisioning {
  ok: boolean;
  /** 'already' | 'cdn' | 'pypi' | 'failed' | 'skipped' | 'none' */
  route: string;
  line: string;
  seconds?: number;
  at: string;
}

export interface NativeStatus {
  installed: boolean;
  version: string | null;
  packageDir: string | null;
  /** null when not checked (opts.checkLoad false) or not installed */
  loads: boolean | null;
  /** TensorFlow version reported by the binding when it loads */
  tfVersion: string | null;
  loadError: string | null;
  /** where libtensorflow came from: tfjs-node's CDN build, a PyPI wheel, or unknown/none */
  libtensorflow: { source: 'cdn' | 'pypi' | 'unknown' | 'none'; detail: string };
  lastProvisioning: LastProvisioning | null;
  logPath: string | null;
  /** what to do next, or null when nothing is needed */
  fix: string | null;
  /** one line for `course doctor` */
  summary: string;
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

function describeLibtensorflow(pkgDir: string): NativeStatus['libtensorflow'] {
  const prov = readJson<{ source?: string; wheel?: string; libtensorflow?: string }>(path.join(pkgDir, 'deps', 'course-provenance.json'));
  if (prov?.source === 'pypi') return { source: 'pypi', detail: `PyPI wheel ${prov.wheel ?? '?'}` };
  if (prov?.source === 'cdn') return { source: 'cdn', detail: `CDN build libtensorflow ${prov.libtensorflow ?? '2.9.1'}` };
  const lib = path.join(pkgDir, 'deps', 'lib', 'libtensorflow.so.2.9.1');
  // tfjs-node's own install leaves the real ~400 MB library here (no provenance file).
  if (existsSync(lib) && statSync(lib).size > 10_000_000) return { source: 'cdn', detail: 'CDN build libtensorflow 2.9.1' };
  if (existsSync(lib)) return { source: 'unknown', detail: `${lib} (origin not recorded)` };
  return { source: 'none', detail: 'no libtensorflow in deps/lib' };
}

/** The shared probe (probe.cjs): load tfjs-node behind the Node shim and train a little. */
export const PROBE_SCRIPT = path.join(projectRoot, 'lib', 'backend', 'probe.cjs');

/** Parse `node probe.cjs`'s output into the verdict (shared with scripts/provision-native.mjs). */
export function parseProbeOutput(stdout: string, stderr: string, status: number | null, signal?: string | null): { ok: boolean; tfVersion: string | null; error: string | null } {
  const ok = /^PROBE OK (\S+) (\S+)/m.exec(stdout);
  if (status === 0 && ok) return { ok: true, tfVersion: ok[2]!, error: null };
  const fail = /^PROBE FAIL (.+)$/m.exec(stdout);
  if (fail) return { ok: false, tfVersion: null, error: fail[1]!.slice(0, 300) };
  // the binding killed the process before the probe could answer (crash, missing library, …)
  const lines = `${stderr}\n${stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const line =
    lines.find((l) => /^(\w*Error|error)\b.*:/.test(l)) ??
    lines.find((l) => /undefined symbol|cannot open|can not be found/i.test(l)) ??
    lines.at(-1) ??
    `exit ${status ?? signal}`;
  return { ok: false, tfVersion: null, error: line.slice(0, 300) };
}

/** Run the training probe on tfjs-node in a child process (a broken binding can kill its process). */
export function checkLoad(cwd: string = projectRoot): { ok: boolean; tfVersion: string | null; error: string | null } {
  const r = spawnSync(process.execPath, [PROBE_SCRIPT, NATIVE_PACKAGE], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  return parseProbeOutput(r.stdout ?? '', r.stderr ?? '', r.status, r.signal);
}

export function nativeStatus(opts: { checkLoad?: boolean } = {}): NativeStatus {
  const last = readJson<LastProvisioning>(PROVISION_RESULT);
  const logPath = existsSync(PROVISION_LOG) ? PROVISION_LOG : null;
  let packageDir: string | null = null;
  try {
    packageDir = path.dirname(createRequire(path.join(projectRoot, 'package.json')).resolve(`${NATIVE_PACKAGE}/package.json`));
  } catch {
    packageDir = null;
  }
  if (!packageDir) {
    return {
      installed: false,
      version: null,
      packageDir: null,
      loads: null,
      tfVersion: null,
      loadError: null,
      libtensorflow: { source: 'none', detail: 'package not installed' },
      lastProvisioning: last,
      logPath,
      fix: `${NATIVE_PACKAGE} is missing (npm drops an optional dependency whose install script failed): run \`npm install --ignore-scripts\`, then \`${PROVISION_COMMAND}\``,
      summary: `native: ${NATIVE_PACKAGE} not installed; the JS backends are used`,
    };
  }
  const version = readJson<{ version?: string }>(path.join(packageDir, 'package.json'))?.version ?? null;
  const libtensorflow = describeLibtensorflow(packageDir);
  const load = opts.checkLoad === false ? null : checkLoad(projectRoot);
  const loads = load ? load.ok : null;
  let fix: string | null = null;
  if (loads === false) {
    fix = /util_1\.\w+\) is not a function/.test(load?.error ?? '')
      ? `Node ${process.version} lacks a \`util\` helper tfjs-node 4.22 calls; the course's shim (lib/backend/node-compat.cjs) adds it${process.env.COURSE_NODE_SHIM === '0' ? ': unset COURSE_NODE_SHIM=0' : ' but did not load: report this'}`
      : last?.route === 'skipped'
        ? `provisioning was skipped (COURSE_SKIP_NATIVE=1): run \`${PROVISION_COMMAND}\``
        : `run \`${PROVISION_COMMAND}\` (needs python3, make, a C++ compiler and access to PyPI or the TensorFlow CDN)${logPath ? `; last log: ${logPath}` : ''}`;
  }
  const state = loads === null ? 'installed (not probed)' : loads ? `loads and trains, TensorFlow ${load!.tfVersion}` : `does not work (${load!.error})`;
  return {
    installed: true,
    version,
    packageDir,
    loads,
    tfVersion: load?.tfVersion ?? null,
    loadError: load?.error ?? null,
    libtensorflow,
    lastProvisioning: last,
    logPath,
    fix,
    summary: `native: ${NATIVE_PACKAGE} ${version ?? '?'} ${state}; libtensorflow: ${libtensorflow.detail}`,
  };
}
