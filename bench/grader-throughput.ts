/**
 * Grader throughput: batch-grades N copies of the reference solutions (all six exercises, the
 * submissions a real batch would get when everybody does well: the slowest case) with
 * `--jobs J`, each exercise run in its own stage and sandbox, and reports submissions per hour.
 *
 *   npx tsx bench/grader-throughput.ts [--submissions 2] [--jobs 2] [--only 01-ffnn-from-scratch …]
 *
 * Writes bench/grader-throughput.json (machine, isolation, backend, Node, wall time, per
 * exercise seconds, submissions/hour). A measurement on a loaded machine says so in `load`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gradeSubmissions } from '../lib/grader/batch.js';
import { listExercises } from '../lib/grader/grade.js';
import { PROJECT_ROOT } from '../lib/grader/paths.js';
import { detectIsolation } from '../lib/grader/sandbox/isolation.js';

const { values } = parseArgs({
  options: { submissions: { type: 'string', default: '2' }, jobs: { type: 'string', default: '2' }, only: { type: 'string', multiple: true }, out: { type: 'string' } },
});
const n = Number(values.submissions);
const jobs = Number(values.jobs);
const exercises = values.only && values.only.length > 0 ? values.only : listExercises();
const subs = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-subs-'));
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-out-'));
for (let i = 0; i < n; i++) {
  for (const e of exercises) fs.cpSync(path.join(PROJECT_ROOT, 'solutions', e), path.join(subs, `student-${i + 1}`, e), { recursive: true });
}
const load0 = os.loadavg()[0]!;
const t0 = Date.now();
const perExercise: Record<string, number[]> = {};
let backend = '';
const { rows } = await gradeSubmissions(subs, out, {
  only: exercises,
  seed: 1234,
  jobs,
  log: (line) => {
    const m = /(\d\d-[\w-]+): [\d.]+\/[\d.]+ \(([\d.]+) s\)/.exec(line);
    if (m) (perExercise[m[1]!] ??= []).push(Number(m[2]));
    // the backend the test processes use, from the environment canary's line
    const b = /environment ok: (.+?) trains/.exec(line);
    if (b) backend = b[1]!;
    process.stderr.write(`${line}\n`);
  },
});
const seconds = (Date.now() - t0) / 1000;
const full = rows.every((r) => !r.error);
const result = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
  load: { before: load0, after: os.loadavg()[0] },
  node: process.version,
  backend: backend || process.env.TFJS_BACKEND || 'default (see course doctor)',
  isolation: detectIsolation().mode,
  exercises,
  submissions: n,
  jobs,
  seconds: Math.round(seconds),
  secondsPerExercise: Object.fromEntries(Object.entries(perExercise).map(([e, s]) => [e, Math.round(s.reduce((a, b) => a + b, 0) / s.length)])),
  scores: rows.map((r) => [r.student, r.total]),
  allGraded: full,
  submissionsPerHour: Math.round(((n * 3600) / seconds) * 10) / 10,
};
const file = values.out ?? path.join(PROJECT_ROOT, 'bench', 'grader-throughput.json');
fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
fs.rmSync(subs, { recursive: true, force: true });
fs.rmSync(out, { recursive: true, force: true });
