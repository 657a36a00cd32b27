/**
 * The device check that scripts/gpu-check.sh bundles (esbuild) and runs where the course itself
 * is not installed (the lent H100: no Node, no registry). In one process:
 *  1. webgpu: initBackend({ backend: 'webgpu' }) — Dawn's adapter, then the training probe;
 *  2. every `npm run bench` case on webgpu next to tfjs's pure-JS `cpu` backend (tfjs-node's
 *     libtensorflow, ~490 MB, and even wasm's binaries don't fit the 64 MiB a device call carries
 *     with the tree), median ms per step;
 *  3. the graded tests of the chosen exercises (02, 04) against the reference solutions, with
 *     the rubric's points and timeouts, on webgpu.
 * Prints markdown tables and a last line `GPU-CHECK OK` or `GPU-CHECK FAILED (…)`.
 *
 * Environment: GPU_CHECK_BENCH_BUDGET_S (per case and backend, default 6), GPU_CHECK_SKIP_BENCH=1,
 * GPU_CHECK_SKIP_TESTS=1,
 * GPU_CHECK_ONLY_CASES=a,b, GPU_CHECK_TIMEOUT_SCALE (× the rubric's timeouts, default 1).
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/index.js';
import { currentAdapter, describeAdapter, vulkanDiagnosis } from '../../lib/backend/webgpu.js';
import { seedEverything } from '../../lib/random.js';
import type { BenchCase } from '../../bench/cases/_shared.js';
import { runFile, type TestOutcome } from './vitest-shim.js';

export interface CheckInput {
  cases: { file: string; load: () => Promise<{ benchCase: BenchCase }> }[];
  tests: { exercise: string; rubric: { tests: { name: string; points: number; timeout?: number }[] }; load: () => Promise<unknown> }[];
}

const env = process.env;
const say = (line = '') => console.log(line);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** One case on the current backend: one warm-up step, then steps until 10 or the budget. */
async function timeCase(bench: BenchCase, budgetS: number): Promise<{ ms: number; steps: number } | { error: string }> {
  seedEverything(1234);
  const made = await bench.setup();
  try {
    const t0 = performance.now();
    const turn = () => new Promise((resolve) => setImmediate(resolve)); // lets Node free GPU objects
    await made.step(); // warm-up: shaders compile on first use
    await turn();
    const times: number[] = [];
    while (times.length < 10 && (times.length === 0 || (performance.now() - t0) / 1000 < budgetS)) {
      const s = performance.now();
      await made.step();
      times.push(performance.now() - s);
      await turn();
    }
    return { ms: median(times), steps: times.length };
  } catch (err) {
    return { error: String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 120) };
  } finally {
    made.dispose();
  }
}

async function bench(input: CheckInput): Promise<void> {
  const budget = Number(env.GPU_CHECK_BENCH_BUDGET_S ?? 6);
  const only = env.GPU_CHECK_ONLY_CASES?.split(',').filter(Boolean);
  const fmt = (r: { ms: number; steps: number } | { error: string }) => ('error' in r ? `error: ${r.error}` : `${r.ms < 100 ? r.ms.toFixed(1) : Math.round(r.ms)} (${r.steps})`);
  say(`| case | webgpu ms/step (steps) | cpu (JS) ms/step (steps) | cpu ÷ webgpu |`);
  say('|---|---:|---:|---:|');
  for (const c of input.cases) {
    const { benchCase } = await c.load();
    if (only && !only.includes(benchCase.name)) continue;
    await tf.setBackend('webgpu');
    const w = await timeCase(benchCase, budget);
    const m = (await tf.setBackend('cpu')) ? await timeCase(benchCase, budget) : { error: 'the cpu backend did not start' };
    const ratio = 'ms' in w && 'ms' in m ? `${(m.ms / w.ms).toFixed(2)}×` : '';
    say(`| ${benchCase.name} | ${fmt(w)} | ${fmt(m)} | ${ratio} |`);
  }
  await tf.setBackend('webgpu');
}

async function graded(input: CheckInput): Promise<boolean> {
  const scale = Number(env.GPU_CHECK_TIMEOUT_SCALE ?? 1);
  let allFull = true;
  for (const t of input.tests) {
    const points = new Map(t.rubric.tests.map((r) => [r.name, r]));
    const t0 = Date.now();
    const outcomes: TestOutcome[] = await runFile(
      t.load,
      (name) => (points.get(name)?.timeout ?? 60) * 1000 * scale,
      () => seedEverything(Number(env.COURSE_SEED ?? 1234)),
      (o) => say(`  ${o.ok ? 'PASS' : 'FAIL'} ${(o.ms / 1000).toFixed(1).padStart(6)} s  ${o.name}${o.error ? ` — ${o.error}` : ''}`),
    );
    const max = t.rubric.tests.reduce((n, r) => n + r.points, 0);
    const got = outcomes.filter((o) => o.ok).reduce((n, o) => n + (points.get(o.name)?.points ?? 0), 0);
    const unknown = outcomes.filter((o) => !points.has(o.name)).map((o) => o.name);
    const missing = t.rubric.tests.filter((r) => !outcomes.some((o) => o.name === r.name)).map((r) => r.name);
    say(`${t.exercise}: ${got}/${max} points, ${outcomes.filter((o) => o.ok).length}/${outcomes.length} tests passed on webgpu, ${((Date.now() - t0) / 1000).toFixed(0)} s${unknown.length ? `; not in the rubric: ${unknown.join('; ')}` : ''}${missing.length ? `; did not run: ${missing.join('; ')}` : ''}`);
    if (got !== max || missing.length) allFull = false;
  }
  return allFull;
}

export async function runCheck(input: CheckInput): Promise<void> {
  const t0 = Date.now();
  process.env.COURSE_QUIET_BACKEND = '1';
  say(`## gpu-check ${new Date().toISOString()} — node ${process.version}, tfjs ${tf.version.tfjs}`);
  try {
    const b = await initBackend({ backend: 'webgpu', quiet: true });
    say(`adapter: ${describeAdapter(currentAdapter()!)}`);
    say(`training probe on webgpu: passed (${b.line})`);
  } catch (err) {
    say(`training probe on webgpu: FAILED — ${String((err as Error)?.message ?? err)}`);
    if (process.platform === 'linux') say(`vulkan: ${vulkanDiagnosis()}`);
    say('GPU-CHECK FAILED (no webgpu)');
    process.exit(1);
  }
  if (env.GPU_CHECK_SKIP_BENCH !== '1') {
    say('\n### bench: ms per training step (median), batch 64');
    const b0 = Date.now();
    await bench(input);
    say(`(bench ${((Date.now() - b0) / 1000).toFixed(0)} s)`);
  }
  let full = true;
  if (env.GPU_CHECK_SKIP_TESTS !== '1') {
    say('\n### graded tests, reference solutions, on webgpu');
    full = await graded(input);
  }
  say(`\ntotal ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  say(full ? 'GPU-CHECK OK' : 'GPU-CHECK FAILED (not full marks)');
  process.exit(full ? 0 : 1);
}
