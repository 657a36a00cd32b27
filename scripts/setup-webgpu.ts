/**
 * `npm run setup:webgpu [-- --lavapipe] [-- --measure]`: make the `webgpu` backend usable here and
 * say what it runs on. Safe to repeat: each step is skipped when its result is already there.
 *
 *  1. the `webgpu` package (Dawn's dawn.node; an optional dependency, so `npm install` normally
 *     brings it: this reinstalls it when npm dropped it, e.g. after `--omit=optional`);
 *  2. an adapter: runs the training probe on TFJS_BACKEND=webgpu in a child process. With
 *     `--lavapipe` (CI), on Debian as root, when there is none it installs Mesa ≥ 25's software
 *     Vulkan (`mesa-vulkan-drivers`, from bookworm-backports on Debian 12) and tries again;
 *  3. on a hardware adapter (or with `--measure`): times each exercise's benchmark step on webgpu
 *     and on the backend otherwise chosen, and caches the verdict the automatic choice reads
 *     (lib/backend/webgpu-choice.ts). Again only when the adapter changed, or with `--measure`.
 *
 * Exit 0 when webgpu trains here, 1 when it does not (the last line says why and what to do).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHOICE_FILE, readVerdict, type SpeedVerdict } from '../lib/backend/webgpu-choice.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const say = (line: string) => console.log(`[setup:webgpu] ${line}`);

interface ProbeReport {
  ok: boolean;
  adapter?: { line: string; key: string; software: boolean };
  error?: string;
  seconds: number;
}

/** Child: choose webgpu the way every course process does (initBackend runs the probe). */
async function childProbe(): Promise<void> {
  const t0 = Date.now();
  const { initBackend } = await import('../lib/backend/index.js');
  const { adapterKey, currentAdapter, describeAdapter } = await import('../lib/backend/webgpu.js');
  const { CourseError } = await import('../lib/errors.js');
  let report: ProbeReport;
  try {
    await initBackend({ backend: 'webgpu', quiet: true });
    const a = currentAdapter()!;
    report = { ok: true, adapter: { line: describeAdapter(a), key: adapterKey(a), software: a.software }, seconds: 0 };
  } catch (err) {
    report = { ok: false, error: err instanceof CourseError ? err.problem : String(err), seconds: 0 };
  }
  report.seconds = (Date.now() - t0) / 1000;
  console.log(`PROBE ${JSON.stringify(report)}`);
  process.exit(0);
}

function runProbe(): ProbeReport {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--child-probe'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000, env: { ...process.env, COURSE_QUIET_BACKEND: '1' } });
  const line = /^PROBE (.+)$/m.exec(r.stdout ?? '')?.[1];
  if (line) return JSON.parse(line) as ProbeReport;
  const tail = `${r.stderr ?? ''}`.trim().split('\n').filter((l) => !/artificially reduced/.test(l)).slice(-2).join(' | ');
  return { ok: false, error: `the probe process died (${r.signal ?? `exit ${r.status}`}): ${tail || 'no output'}`, seconds: 0 };
}

function webgpuVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { optionalDependencies?: Record<string, string> };
  return pkg.optionalDependencies?.webgpu ?? 'latest';
}

async function ensurePackage(): Promise<boolean> {
  const { locateDawn } = await import('../lib/backend/webgpu.js');
  if (locateDawn()) return true;
  const spec = `webgpu@${webgpuVersion()}`;
  say(`installing ${spec} (Dawn's Node binding, ~51 MB download with every platform's dawn.node)`);
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', spec], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) say(`npm install ${spec} failed (exit ${r.status})`);
  return locateDawn() !== null || existsSync(path.join(ROOT, 'node_modules', 'webgpu', 'index.js'));
}

function aptSourcesMention(suite: string): boolean {
  const files = ['/etc/apt/sources.list', ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').map((f) => path.join('/etc/apt/sources.list.d', f)) : [])];
  return files.some((f) => /\.(list|sources)$/.test(f) && existsSync(f) && readFileSync(f, 'utf8').split('\n').some((l) => !l.trim().startsWith('#') && l.includes(suite)));
}

/** Debian/Ubuntu as root: Mesa's lavapipe (software Vulkan), ≥ 25 (Dawn refuses 22.x). */
function installLavapipe(): string | null {
  if (process.platform !== 'linux') return 'a software Vulkan is only installed on Linux';
  if (process.getuid?.() !== 0) return 'not root: install it with `sudo apt-get install -t bookworm-backports mesa-vulkan-drivers` (Debian 12) or `sudo apt-get install mesa-vulkan-drivers` (Debian 13, Ubuntu 25.04+)';
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) return 'no apt-get: install Mesa ≥ 25 `mesa-vulkan-drivers` (lavapipe) with your package manager';
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const codename = /^VERSION_CODENAME=(\S+)/m.exec(osRelease)?.[1] ?? '';
  const apt = (args: string[]) => spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  const install = ['install', '-y', '-qq', '--no-install-recommends'];
  if (codename === 'bookworm') {
    if (!aptSourcesMention('bookworm-backports')) {
      say('adding Debian bookworm-backports to apt (/etc/apt/sources.list.d/bookworm-backports.sources): Mesa 25 is there, bookworm has 22.3');
      writeFileSync('/etc/apt/sources.list.d/bookworm-backports.sources', 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n');
    }
    say('apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1');
    if (!apt(['update', '-qq']) || !apt([...install, '-t', 'bookworm-backports', 'mesa-vulkan-drivers', 'libvulkan1'])) return 'apt-get could not install mesa-vulkan-drivers from bookworm-backports';
    return null;
  }
  say('apt-get install mesa-vulkan-drivers libvulkan1');
  if (!apt(['update', '-qq']) || !apt([...install, 'mesa-vulkan-drivers', 'libvulkan1'])) return 'apt-get could not install mesa-vulkan-drivers';
  return null;
}

/** Each exercise's benchmark case (bench/cases/NN-*.ts): name → exercise. */
async function exerciseCases(): Promise<Map<string, string>> {
  const dir = path.join(ROOT, 'bench', 'cases');
  const out = new Map<string, string>();
  for (const f of readdirSync(dir).filter((n) => /^\d\d-.+\.ts$/.test(n)).sort()) {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { benchCase?: { name: string; exercise?: string } };
    if (mod.benchCase?.exercise) out.set(mod.benchCase.name, mod.benchCase.exercise);
  }
  return out;
}

/** Time every exercise's step on webgpu and on the backend the chain picks otherwise. */
async function measure(adapter: NonNullable<ProbeReport['adapter']>): Promise<SpeedVerdict | null> {
  const { initBackend } = await import('../lib/backend/index.js');
  const chosen = (await initBackend({ quiet: true })).choice;
  const against = chosen === 'webgpu' ? 'node' : chosen; // (an older verdict may already pick webgpu)
  const cases = await exerciseCases();
  const out = path.join(path.dirname(CHOICE_FILE), 'webgpu-bench.json');
  mkdirSync(path.dirname(out), { recursive: true });
  say(`timing ${cases.size} exercise steps on webgpu and on ${against} (npm run bench; a few minutes)`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'run.ts'), '--only', [...cases.keys()].join(','), '--backends', `webgpu,${against}`, '--warmup', '3', '--steps', '10', '--budget', '120', '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0 || !existsSync(out)) return null;
  const results = (JSON.parse(readFileSync(out, 'utf8')) as { results: { case: string; backend: string; msPerStep: number | null }[] }).results;
  const jobs: SpeedVerdict['jobs'] = {};
  for (const [name, exercise] of cases) {
    const ms = (b: string) => results.find((x) => x.case === name && x.backend === b)?.msPerStep ?? null;
    const w = ms('webgpu');
    const o = ms(against);
    if (w !== null && o !== null) jobs[exercise] = { webgpuMs: w, otherMs: o };
  }
  return { adapter: adapter.key, adapterLine: adapter.line, against, measuredAt: new Date().toISOString(), jobs };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--child-probe')) return childProbe().then(() => 0);
  const unknown = args.filter((a) => !['--lavapipe', '--measure'].includes(a));
  if (unknown.length) {
    console.error(`setup:webgpu: unknown option ${unknown.join(' ')} (options: --lavapipe, --measure)`);
    return 2;
  }
  if (!(await ensurePackage())) {
    say('FAILED: the `webgpu` package could not be installed (npm registry reachable?)');
    return 1;
  }
  let probe = runProbe();
  if (!probe.ok && /no WebGPU adapter/.test(probe.error ?? '') && args.includes('--lavapipe')) {
    const why = installLavapipe();
    if (why) say(`no software Vulkan installed: ${why}`);
    else probe = runProbe();
  }
  if (!probe.ok) {
    say(`FAILED: webgpu does not train here: ${probe.error}`);
    return 1;
  }
  say(`webgpu trains on ${probe.adapter!.line} (training probe ${probe.seconds.toFixed(1)} s)`);
  const cached = readVerdict();
  if (probe.adapter!.software && !args.includes('--measure')) {
    say('a software adapter is used only with TFJS_BACKEND=webgpu: no speed measurement (`-- --measure` forces one)');
    return 0;
  }
  if (cached?.adapter === probe.adapter!.key && !args.includes('--measure')) {
    say(`speed verdict already cached for this adapter (${path.relative(ROOT, CHOICE_FILE)}, ${cached.measuredAt.slice(0, 10)}); \`-- --measure\` redoes it`);
    return 0;
  }
  const verdict = await measure(probe.adapter!);
  if (!verdict) {
    say('the speed measurement failed: the automatic choice keeps using node (TFJS_BACKEND=webgpu still forces webgpu)');
    return 0;
  }
  writeFileSync(CHOICE_FILE, JSON.stringify(verdict, null, 2) + '\n');
  for (const [job, e] of Object.entries(verdict.jobs)) say(`  ${job}: webgpu ${e.webgpuMs.toFixed(1)} ms/step, ${verdict.against} ${e.otherMs.toFixed(1)} ms/step`);
  say(`verdict cached in ${path.relative(ROOT, CHOICE_FILE)}`);
  return 0;
}

process.exitCode = await main();
