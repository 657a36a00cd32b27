/**
 * `npm run bench`: time one training step of every case in bench/cases on every backend that
 * loads, write bench/results.json and print a markdown table.
 *
 *   npm run bench -- [--only mlp,small-cnn] [--backends cpu,wasm,node,node-graph] [--warmup 2] [--steps 5]
 *                    [--budget 90] [--out bench/results.json] [--keras PYTHON] [--repeat N]
 *
 * Each (case, backend) pair runs in its own child process with TFJS_BACKEND set, so a backend
 * can't leak state into another and a pathological one (the pure-JS cpu DCGAN step) is killed at
 * the per-case time budget and reported as "> N s" instead of hanging the run.
 *
 * Extra backend names `cpu-tfjs` and `wasm-tfjs` run cpu/wasm with tfjs's own kernels wherever
 * lib/backend/kernels replaced one (kernels wasm lacks entirely stay registered), to measure
 * what the replacements buy.
 *
 * `node-graph` runs the case's graph step (BenchCase `graph`) through compileStep
 * (lib/backend/graph): the whole step as one TensorFlow session run. Its 3 tracing calls and the
 * first graph run (session start-up) are setup, not warm-up. On `node` and `node-graph` the
 * result also records how many TF ops one step runs (executeOp calls, or the graph's node count).
 *
 * `webgpu` runs tfjs's WebGPU kernels on Dawn (lib/backend/webgpu.ts), forced, so on whatever
 * adapter exists, a software one (lavapipe) included; its column header names the adapter.
 *
 * `--keras PYTHON` adds a `keras` column: bench/keras_peer.py run by that Python (one with PyPI
 * tensorflow-cpu installed), the same models in Keras with its compiled train step, for the
 * cases it knows (the generic ones); optional, never in CI.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchCase } from './cases/_shared.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CASES_DIR = path.join(HERE, 'cases');
const MARK = 'BENCH ';
const BACKENDS = ['cpu', 'wasm', 'node', 'node-graph', 'webgpu', 'keras', 'node-onednn', 'node-graph-onednn', 'node-noonednn', 'node-graph-noonednn', 'node-nograds', 'cpu-tfjs', 'wasm-tfjs'] as const;
type BackendName = (typeof BACKENDS)[number];
const DEFAULT_BACKENDS: BackendName[] = ['cpu', 'wasm', 'node', 'node-graph', 'webgpu'];

interface Options {
  only: string[] | null;
  backends: BackendName[];
  warmup: number;
  steps: number;
  budgetS: number;
  out: string;
  /** a Python with tensorflow for the keras column */
  keras: string | null;
  /** rounds over all pairs, interleaved */
  repeat: number;
}

/** What a child reports, one JSON line per event on stdout. */
type ChildEvent =
  | { kind: 'ready'; tfBackend: string; setupMs: number; adapter?: string; graph?: { mode: string; reason: string | null; compileMs: number; shadow?: boolean } }
  | { kind: 'ops'; total: number; top: [string, number][] }
  | { kind: 'step'; warmup: boolean; ms: number; cpuMs: number }
  | { kind: 'done'; peakTensorBytes: number; maxRssBytes: number }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'error'; message: string };

interface CaseResult {
  case: string;
  exercise?: string;
  backend: BackendName;
  status: 'ok' | 'timeout' | 'error' | 'unavailable';
  /** median wall-clock time of the timed steps */
  msPerStep: number | null;
  /** median CPU time (user+system) of the timed steps: steadier than wall time on a busy machine */
  cpuMsPerStep: number | null;
  stepMs: number[];
  stepCpuMs: number[];
  warmupMs: number[];
  warmupCpuMs: number[];
  setupMs: number | null;
  /** tf.profile peakBytes of one extra step (all tensors alive at the worst moment) */
  peakTensorBytes: number | null;
  /** peak resident set size of the child process */
  maxRssBytes: number | null;
  /** TF ops per step: executeOp calls on node (with the most frequent), graph nodes on node-graph */
  opsPerStep?: number;
  topOps?: [string, number][];
  /** node-graph: 'graph', or 'eager' with the reason the step could not be compiled */
  graphMode?: string;
  /** node-graph: true when each step ran compileStep's shadow pass (its JS) before the session run */
  graphShadow?: boolean;
  /** webgpu: the adapter it ran on (describeAdapter) */
  adapter?: string;
  /** how many interleaved rounds (--repeat) the timed steps come from */
  rounds?: number;
  /** node-graph: the 3 tracing calls + the first session run, ms */
  compileMs?: number;
  note?: string;
}

// ---------------------------------------------------------------- cases

function caseFiles(): string[] {
  return readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.ts') && !f.startsWith('_') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => path.join(CASES_DIR, f));
}

async function loadCase(file: string): Promise<BenchCase> {
  const mod = (await import(pathToFileURL(file).href)) as { benchCase?: BenchCase };
  if (!mod.benchCase || typeof mod.benchCase.setup !== 'function') {
    throw new Error(`${path.relative(process.cwd(), file)} does not export benchCase { name, setup }`);
  }
  return mod.benchCase;
}

// ---------------------------------------------------------------- child: one case, one backend

function emit(event: ChildEvent): void {
  process.stdout.write(MARK + JSON.stringify(event) + '\n');
}

async function runChild(file: string, variant: BackendName, warmup: number, steps: number, budgetS: number): Promise<void> {
  const { initBackend } = await import('../lib/backend/index.js');
  const { restoreOriginalKernel, installedKernels, originalKernel } = await import('../lib/backend/kernels/index.js');
  const { seedEverything } = await import('../lib/random.js');
  try {
    await initBackend({ quiet: true });
  } catch (err) {
    emit({ kind: 'unavailable', reason: (err instanceof Error ? err.message : String(err)).split('\n')[0]! });
    return;
  }
  if (variant.endsWith('-tfjs')) {
    const be = tf.getBackend();
    // Only put back kernels tfjs actually ships; missing ones (wasm's) must stay to train at all.
    for (const name of installedKernels(be)) {
      if (originalKernel(name, be)) restoreOriginalKernel(name, be);
    }
  }
  seedEverything(1234);
  const bench = await loadCase(file);
  const t0 = performance.now();
  const made = await bench.setup();
  const { dispose } = made;
  let step: () => Promise<void> | void = made.step;
  let graphInfo: { mode: string; reason: string | null; compileMs: number; shadow?: boolean } | undefined;
  let opsOfGraph = 0;
  const graphVariant = variant.startsWith('node-graph');
  if (graphVariant) {
    if (!made.graph) {
      emit({ kind: 'unavailable', reason: 'this case has no graph step' });
      return;
    }
    const { compileStep } = await import('../lib/backend/graph/index.js');
    const { tensorsIn } = await import('../lib/backend/graph/trace.js');
    const g = made.graph;
    const own = g.compiled ? g.fn : null; // compiles its own tensor part
    const wrapped = own ? null : compileStep(g.fn, { name: bench.name, log: null });
    const compiled = () => wrapped ?? g.compiled!() ?? { mode: 'tracing', reason: null, opCount: 0 };
    step = () => {
      const args = g.args();
      const out = (own ?? wrapped!)(...args);
      // a number result was already read; tensors are read here so the step really ran
      const losses = tensorsIn(out);
      for (const l of losses) l.dataSync();
      if (g.take) g.take(losses);
      else tf.dispose(losses);
      g.release?.(args);
    };
    const c0 = performance.now();
    for (let i = 0; i < 4; i++) await step(); // eager, 2 traced calls, first session run
    const info = compiled() as { mode: string; reason: string | null; shadow?: boolean };
    graphInfo = { mode: info.mode, reason: info.reason, compileMs: performance.now() - c0, shadow: info.shadow === true };
    opsOfGraph = compiled().opCount;
  }
  const { currentAdapter, describeAdapter } = await import('../lib/backend/webgpu.js');
  const adapter = tf.getBackend() === 'webgpu' && currentAdapter() ? describeAdapter(currentAdapter()!) : undefined;
  emit({ kind: 'ready', tfBackend: tf.getBackend(), setupMs: performance.now() - t0, ...(adapter ? { adapter } : {}), ...(graphInfo ? { graph: graphInfo } : {}) });
  const started = performance.now();
  let timed = 0;
  for (let i = 0; i < warmup + steps; i++) {
    const s = performance.now();
    const c = process.cpuUsage();
    await step();
    const cpu = process.cpuUsage(c);
    const isWarmup = i < warmup;
    emit({ kind: 'step', warmup: isWarmup, ms: performance.now() - s, cpuMs: (cpu.user + cpu.system) / 1000 });
    if (!isWarmup) timed++;
    // Out of budget: keep what was measured (the parent reports it with a note).
    if (timed > 0 && (performance.now() - started) / 1000 > budgetS * 0.8) break;
  }
  if (variant === 'node' || variant === 'node-onednn' || variant === 'node-noonednn' || variant === 'node-nograds') {
    const { countOps } = await import('../lib/backend/graph/index.js');
    const counts = await countOps(() => step());
    if (counts) {
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1]);
      emit({ kind: 'ops', total: top.reduce((n, [, k]) => n + k, 0), top: top.slice(0, 8) });
    }
  } else if (graphVariant && graphInfo?.mode === 'graph') {
    emit({ kind: 'ops', total: opsOfGraph, top: [] });
  }
  const profile = await tf.profile(async () => {
    await step();
  });
  dispose();
  emit({ kind: 'done', peakTensorBytes: profile.peakBytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 });
}

// ---------------------------------------------------------------- parent

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function childEnv(variant: BackendName): NodeJS.ProcessEnv {
  const backend = variant.replace(/-(tfjs|onednn|noonednn|nograds)$/, '').replace(/-graph$/, '');
  // `-onednn` / `-noonednn`: the same backend with libtensorflow's oneDNN kernels forced on / off
  const onednn = variant.endsWith('-noonednn') ? { TF_ENABLE_ONEDNN_OPTS: '0' } : variant.endsWith('-onednn') ? { TF_ENABLE_ONEDNN_OPTS: '1' } : {};
  // `node-nograds`: without lib/backend/native-grads.ts (tfjs's composed ReLU/sigmoid/tanh gradients)
  const grads = variant === 'node-nograds' ? { COURSE_NATIVE_GRADS: '0' } : {};
  return { ...process.env, TFJS_BACKEND: backend, COURSE_QUIET_BACKEND: '1', COURSE_PROGRESS: '0', ...onednn, ...grads };
}

function runPair(file: string, bench: BenchCase, variant: BackendName, opts: Options): Promise<CaseResult> {
  const result: CaseResult = {
    case: bench.name,
    ...(bench.exercise ? { exercise: bench.exercise } : {}),
    backend: variant,
    status: 'error',
    msPerStep: null,
    cpuMsPerStep: null,
    stepMs: [],
    stepCpuMs: [],
    warmupMs: [],
    warmupCpuMs: [],
    setupMs: null,
    peakTensorBytes: null,
    maxRssBytes: null,
  };
  // Re-run this script under the same loader (tsx) that runs the parent.
  const execArgv = process.execArgv.length ? process.execArgv : ['--import', 'tsx'];
  const counts = ['--warmup', String(opts.warmup), '--steps', String(opts.steps), '--budget', String(opts.budgetS)];
  const [command, args] =
    variant === 'keras'
      ? [opts.keras ?? 'python3', [path.join(HERE, 'keras_peer.py'), '--case', bench.name, ...counts]]
      : [process.execPath, [...execArgv, fileURLToPath(import.meta.url), '--child', file, '--variant', variant, ...counts]];
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: childEnv(variant), stdio: ['ignore', 'pipe', 'pipe'] });
    child.on('error', (err) => {
      result.status = 'unavailable';
      result.note = `could not start ${command}: ${err.message}`;
    });
    let stdoutBuf = '';
    let stderrTail = '';
    let finished = false;
    const timer = setTimeout(() => {
      if (finished) return;
      result.status = result.stepMs.length > 0 ? 'ok' : 'timeout';
      result.note = `stopped at the ${opts.budgetS} s budget`;
      child.kill('SIGKILL');
    }, opts.budgetS * 1000);
    const onEvent = (ev: ChildEvent) => {
      switch (ev.kind) {
        case 'ready':
          result.setupMs = ev.setupMs;
          if (ev.adapter) result.adapter = ev.adapter;
          if (ev.graph) {
            result.graphMode = ev.graph.mode;
            if (ev.graph.shadow) result.graphShadow = true;
            result.compileMs = ev.graph.compileMs;
            if (ev.graph.reason) result.note = `eager: ${ev.graph.reason}`;
          }
          break;
        case 'ops':
          result.opsPerStep = ev.total;
          if (ev.top.length) result.topOps = ev.top;
          break;
        case 'step':
          if (ev.warmup) {
            result.warmupMs.push(ev.ms);
            result.warmupCpuMs.push(ev.cpuMs);
          } else {
            result.stepMs.push(ev.ms);
            result.stepCpuMs.push(ev.cpuMs);
          }
          process.stderr.write('.');
          break;
        case 'done':
          result.status = 'ok';
          result.peakTensorBytes = ev.peakTensorBytes;
          result.maxRssBytes = ev.maxRssBytes;
          finished = true;
          break;
        case 'unavailable':
          result.status = 'unavailable';
          result.note = ev.reason;
          finished = true;
          break;
        case 'error':
          result.status = 'error';
          result.note = ev.message;
          finished = true;
          break;
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBuf += chunk.toString();
      let nl: number;
      while ((nl = stdoutBuf.indexOf('\n')) >= 0) {
        const line = stdoutBuf.slice(0, nl);
        stdoutBuf = stdoutBuf.slice(nl + 1);
        if (line.startsWith(MARK)) onEvent(JSON.parse(line.slice(MARK.length)) as ChildEvent);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-2000);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (!finished && result.status === 'error' && !result.note) {
        const lastLine = stderrTail.trim().split('\n').filter((l) => !/npm warn|Orthogonal/.test(l)).slice(-3).join(' | ');
        result.note = `child exited with code ${code}: ${lastLine || 'no output'}`;
      }
      result.msPerStep = median(result.stepMs);
      result.cpuMsPerStep = median(result.stepCpuMs);
      resolve(result);
    });
  });
}

// ---------------------------------------------------------------- report

function fmtMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return Math.round(ms).toLocaleString('en-US');
  return ms.toFixed(1);
}

function fmtMB(bytes: number | null): string {
  return bytes === null ? '–' : `${(bytes / 2 ** 20).toFixed(0)}`;
}

function markdownTable(results: CaseResult[], budgetS: number): string {
  const cases = [...new Set(results.map((r) => r.case))];
  const backends = BACKENDS.filter((b) => results.some((r) => r.backend === b));
  const lines: string[] = [];
  // the webgpu column says which adapter it ran on (a GPU, or lavapipe on a CPU machine)
  const adapters = [...new Set(results.filter((r) => r.backend === 'webgpu' && r.adapter).map((r) => r.adapter!))];
  const label = (b: string) => (b === 'webgpu' && adapters.length === 1 ? `webgpu (${shortAdapter(adapters[0]!)})` : b);
  lines.push(`| case | ${backends.map((b) => `${label(b)} ms/step`).join(' | ')} |`);
  lines.push(`|---|${backends.map(() => '---:').join('|')}|`);
  for (const c of cases) {
    const row = results.filter((r) => r.case === c);
    const fastest = Math.min(...row.filter((r) => r.msPerStep !== null).map((r) => r.msPerStep!));
    const cells = backends.map((b) => {
      const r = row.find((x) => x.backend === b);
      if (!r) return '';
      if (r.status === 'unavailable') return 'n/a';
      if (r.status === 'timeout') return `> ${budgetS} s`;
      if (r.msPerStep === null) return 'error';
      const ratio = r.msPerStep / fastest;
      const partial = (r.note?.includes('budget') ? '*' : '') + (r.backend.startsWith('node-graph') && r.graphMode !== 'graph' ? '†' : '');
      return `${fmtMs(r.msPerStep)}${partial} (${ratio < 1.05 ? '1×' : `${ratio.toFixed(ratio < 10 ? 1 : 0)}×`})`;
    });
    lines.push(`| ${c} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push(`| case | ${backends.map((b) => `${label(b)} CPU ms/step`).join(' | ')} |`);
  lines.push(`|---|${backends.map(() => '---:').join('|')}|`);
  for (const c of cases) {
    const cells = backends.map((b) => {
      const r = results.find((x) => x.case === c && x.backend === b);
      if (r && r.cpuMsPerStep !== null) return fmtMs(r.cpuMsPerStep);
      // timed out before any timed step: show the warm-up step's CPU time instead
      return r && r.warmupCpuMs.length ? `${fmtMs(r.warmupCpuMs[0]!)} (warm-up step)` : '';
    });
    lines.push(`| ${c} | ${cells.join(' | ')} |`);
  }
  const opsBackends = backends.filter((b) => results.some((r) => r.backend === b && r.opsPerStep !== undefined));
  if (opsBackends.length) {
    lines.push('');
    lines.push(`| case | ${opsBackends.map((b) => `${b === "node-graph" ? "node-graph graph nodes" : `${b} TF ops/step`}`).join(' | ')} | most frequent (node) |`);
    lines.push(`|---|${opsBackends.map(() => '---:').join('|')}|---|`);
    for (const c of cases) {
      const cells = opsBackends.map((b) => String(results.find((x) => x.case === c && x.backend === b)?.opsPerStep ?? ''));
      const top = results.find((x) => x.case === c && x.backend === 'node')?.topOps ?? [];
      lines.push(`| ${c} | ${cells.join(' | ')} | ${top.slice(0, 5).map(([n, k]) => `${n} ${k}`).join(', ')} |`);
    }
  }
  lines.push('');
  lines.push(`| case | ${backends.map((b) => `${label(b)} peak tensors MB / RSS MB`).join(' | ')} |`);
  lines.push(`|---|${backends.map(() => '---:').join('|')}|`);
  for (const c of cases) {
    const cells = backends.map((b) => {
      const r = results.find((x) => x.case === c && x.backend === b);
      return r && r.status === 'ok' ? `${fmtMB(r.peakTensorBytes)} / ${fmtMB(r.maxRssBytes)}` : '';
    });
    lines.push(`| ${c} | ${cells.join(' | ')} |`);
  }
  for (const a of adapters) lines.push('', `webgpu adapter: ${a}`);
  return lines.join('\n');
}

/** "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) … on Vulkan" → "llvmpipe"; a GPU's name as Dawn gives it. */
function shortAdapter(line: string): string {
  return line.split(/[:(]| on (?:Vulkan|Metal|D3D12)/)[0]!.trim().slice(0, 40);
}

// ---------------------------------------------------------------- CLI

function usage(problem: string): never {
  console.error(`bench: ${problem}`);
  console.error('usage: npm run bench -- [--only case1,case2] [--backends cpu,wasm,node,node-graph,cpu-tfjs,wasm-tfjs] [--warmup N] [--steps N] [--budget SECONDS] [--out FILE] [--keras PYTHON] [--repeat N]');
  process.exit(2);
}

function parseArgs(argv: string[]): Options & { child: string | null; variant: BackendName } {
  const opts: Options & { child: string | null; variant: BackendName } = {
    only: null, backends: DEFAULT_BACKENDS, warmup: 2, steps: 5, budgetS: 90,
    out: path.join(HERE, 'results.json'), child: null, variant: 'wasm', keras: null, repeat: 1,
  };
  const positiveInt = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) usage(`${flag} needs an integer ≥ ${min}, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    switch (flag) {
      case '--only': opts.only = (value ?? '').split(',').filter(Boolean); i++; break;
      case '--backends': {
        const names = (value ?? '').split(',').filter(Boolean);
        const bad = names.filter((n) => !(BACKENDS as readonly string[]).includes(n));
        if (names.length === 0 || bad.length) usage(`unknown backend ${bad.join(', ') || '(none given)'}; choose from ${BACKENDS.join(', ')}`);
        opts.backends = names as BackendName[];
        i++;
        break;
      }
      case '--warmup': opts.warmup = positiveInt(flag, value, 0); i++; break;
      case '--steps': opts.steps = positiveInt(flag, value, 1); i++; break;
      case '--budget': opts.budgetS = positiveInt(flag, value, 1); i++; break;
      case '--repeat': opts.repeat = positiveInt(flag, value, 1); i++; break;
      case '--out': opts.out = path.resolve(value ?? usage('--out needs a file')); i++; break;
      case '--keras': opts.keras = value ?? usage('--keras needs a Python executable with tensorflow'); i++; break;
      case '--child': opts.child = value ?? null; i++; break;
      case '--variant': opts.variant = value as BackendName; i++; break;
      default: usage(`unknown flag ${flag}`);
    }
  }
  if (opts.keras && !opts.backends.includes('keras')) opts.backends = [...opts.backends, 'keras'];
  if (opts.backends.includes('keras') && !opts.keras) usage('the keras column needs --keras PYTHON');
  return opts;
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    totalMemGB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.child) {
    try {
      await runChild(opts.child, opts.variant, opts.warmup, opts.steps, opts.budgetS);
    } catch (err) {
      emit({ kind: 'error', message: (err instanceof Error ? err.message : String(err)).split('\n')[0]! });
    }
    process.exit(0);
  }
  const files = caseFiles();
  const cases: { file: string; bench: BenchCase }[] = [];
  for (const file of files) cases.push({ file, bench: await loadCase(file) });
  const names = cases.map((c) => c.bench.name);
  const unknown = (opts.only ?? []).filter((n) => !names.includes(n));
  if (unknown.length) usage(`unknown case ${unknown.join(', ')}; cases: ${names.join(', ')}`);
  const chosen = opts.only ? cases.filter((c) => opts.only!.includes(c.bench.name)) : cases;

  const results: CaseResult[] = [];
  const unavailable = new Map<BackendName, string>();
  // --repeat N: N rounds over every (case, backend) pair, interleaved, so a change in the machine's
  // load hits all columns alike; each row's median is over the timed steps of all rounds.
  for (let round = 0; round < opts.repeat; round++) {
    for (const { file, bench } of chosen) {
      for (const backend of opts.backends) {
        const skip = unavailable.get(backend);
        const earlier = results.find((x) => x.case === bench.name && x.backend === backend);
        if (skip || (earlier && earlier.status !== 'ok')) {
          if (!earlier) results.push({ case: bench.name, backend, status: 'unavailable', msPerStep: null, cpuMsPerStep: null, stepMs: [], stepCpuMs: [], warmupMs: [], warmupCpuMs: [], setupMs: null, peakTensorBytes: null, maxRssBytes: null, note: skip });
          continue;
        }
        process.stderr.write(`[bench]${opts.repeat > 1 ? ` round ${round + 1}/${opts.repeat}` : ''} ${bench.name} on ${backend} `);
        const r = await runPair(file, bench, backend, opts);
        // A case without a graph step or a Keras version doesn't make the backend unavailable.
        if (r.status === 'unavailable' && !/^(this case|no Keras version)/.test(r.note ?? '')) unavailable.set(backend, r.note ?? 'did not load');
        process.stderr.write(
          ` ${r.status === 'ok' ? `${fmtMs(r.msPerStep!)}${r.msPerStep! >= 10_000 ? '' : ' ms'}/step` : r.status}${r.note ? ` (${r.note})` : ''}\n`,
        );
        if (earlier) {
          earlier.stepMs.push(...r.stepMs);
          earlier.stepCpuMs.push(...r.stepCpuMs);
          earlier.msPerStep = median(earlier.stepMs);
          earlier.cpuMsPerStep = median(earlier.stepCpuMs);
          earlier.rounds = (earlier.rounds ?? 1) + 1;
        } else results.push(r);
      }
    }
  }

  // Merge into an existing results file so `--only`/`--backends` runs refresh just their rows.
  let previous: CaseResult[] = [];
  if (existsSync(opts.out)) {
    try {
      previous = (JSON.parse(readFileSync(opts.out, 'utf8')) as { results?: CaseResult[] }).results ?? [];
    } catch {
      previous = [];
    }
  }
  const fresh = new Set(results.map((r) => `${r.case}/${r.backend}`));
  const merged = [...previous.filter((r) => !fresh.has(`${r.case}/${r.backend}`)), ...results];
  merged.sort((a, b) => a.case.localeCompare(b.case) || BACKENDS.indexOf(a.backend) - BACKENDS.indexOf(b.backend));
  const report = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    tfjs: tf.version.tfjs,
    settings: { batch: 64, warmup: opts.warmup, steps: opts.steps, budgetS: opts.budgetS, repeat: opts.repeat },
    results: merged,
  };
  writeFileSync(opts.out, JSON.stringify(report, null, 2) + '\n');
  console.log(markdownTable(results, opts.budgetS));
  console.log('\nRatios are wall-clock time vs the fastest backend per case. CPU time counts every thread, so');
  console.log('it exceeds wall time for the multi-threaded node backend and is steadier on a shared machine.');
  for (const r of results.filter((x) => x.backend.startsWith('node-graph') && x.graphMode && x.graphMode !== 'graph')) {
    console.log(`† ${r.case}: node-graph ran eagerly: ${r.note ?? ''}`);
  }
  if (results.some((r) => r.note?.includes('budget') && r.status === 'ok')) {
    console.log('* stopped at the time budget after fewer timed steps than asked for.');
  }
  console.log(`results: ${path.relative(process.cwd(), opts.out)}`);
}

await main();
