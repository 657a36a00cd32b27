/**
 * `npm run bench:watch -- [--only 03-char-rnn,01-ffnn-from-scratch] [--out FILE]`: the latency
 * of `course watch`, save → feedback, for every task of every exercise. For each task it saves a
 * file of a copy of the reference solution (inside the project, like exercises/), waits for the
 * fs.watch event and the watch debounce, and runs that task's graded tests exactly as
 * `course watch` does (lib/cli/watch.ts checkTask). Target: ≤ 10 s per task on the native
 * backend. Writes bench/watch-latency.json (backend, Node, cores, one row per task).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../lib/backend/index.js';
import { checkTask } from '../lib/cli/watch.js';
import { ROOT, SOLUTIONS_DIR } from '../lib/exercises.js';
import { exerciseSpecs, listExercises } from '../lib/grader/grade.js';

const TARGET_S = 10;
const DEBOUNCE_MS = 200; // lib/cli/watch.ts default

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Row {
  exercise: string;
  task: number;
  tests: number;
  passed: number;
  /** save → fs.watch event */
  eventMs: number;
  /** the task's graded tests (child process start-up included) */
  checkS: number;
  /** save → feedback on screen: event + debounce + check */
  totalS: number;
}

async function saveAndWait(dir: string, file: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const w = fs.watch(dir, { recursive: true }, () => {
      w.close();
      resolve(performance.now() - t0);
    });
    setTimeout(() => {
      w.close();
      reject(new Error('no fs.watch event within 5 s'));
    }, 5000);
    fs.appendFileSync(file, '\n');
  });
}

async function main(): Promise<void> {
  const backend = await initBackend({ quiet: true });
  const only = arg('only')?.split(',').filter(Boolean);
  const out = path.resolve(arg('out') ?? path.join(ROOT, 'bench', 'watch-latency.json'));
  const exercises = listExercises().filter((e) => !only || only.some((o) => e.startsWith(o)));
  const stage = fs.mkdtempSync(path.join(ROOT, '.bench-watch-'));
  const rows: Row[] = [];
  try {
    for (const exercise of exercises) {
      fs.cpSync(path.join(SOLUTIONS_DIR, exercise), path.join(stage, exercise), { recursive: true });
      const specs = exerciseSpecs(exercise, path.join(ROOT, 'test')).specs;
      const tasks = [...new Set(specs.map((s) => s.task ?? 0))].sort((a, b) => a - b);
      for (const task of tasks) {
        const eventMs = await saveAndWait(stage, path.join(stage, exercise, 'index.ts'));
        await new Promise((r) => setTimeout(r, DEBOUNCE_MS));
        const r = await checkTask({ exercise, target: stage, task });
        const row: Row = {
          exercise,
          task,
          tests: r.grade.tests.length,
          passed: r.grade.tests.filter((t) => t.status === 'passed').length,
          eventMs: Math.round(eventMs),
          checkS: Number(r.seconds.toFixed(2)),
          totalS: Number(((eventMs + DEBOUNCE_MS) / 1000 + r.seconds).toFixed(2)),
        };
        rows.push(row);
        console.log(`${exercise.padEnd(24)} task ${task}  ${String(row.tests).padStart(2)} tests  ${row.totalS.toFixed(1).padStart(5)} s${row.totalS > TARGET_S ? `  > ${TARGET_S} s` : ''}${row.passed < row.tests ? `  (${row.tests - row.passed} failed!)` : ''}`);
      }
    }
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
  const worst = rows.reduce((m, r) => Math.max(m, r.totalS), 0);
  const result = {
    what: 'course watch latency: save → feedback per task (reference solutions, one task at a time)',
    date: new Date().toISOString(),
    backend: backend.choice,
    node: process.version,
    cpus: os.cpus().length,
    load: os.loadavg().map((l) => Number(l.toFixed(2))),
    debounceMs: DEBOUNCE_MS,
    targetS: TARGET_S,
    worstS: worst,
    overTarget: rows.filter((r) => r.totalS > TARGET_S).map((r) => `${r.exercise} task ${r.task}`),
    rows,
  };
  fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nworst ${worst.toFixed(1)} s (target ${TARGET_S} s) on ${backend.choice}, Node ${process.version}; wrote ${path.relative(process.cwd(), out)}`);
}

await main();
