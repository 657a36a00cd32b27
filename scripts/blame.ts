/**
 * The blame benchmark (`npm run blame [-- --only 01-ffnn-from-scratch]`): grades every case of
 * bench/blame/cases.json (the reference with one planted bug, the function holding it recorded as
 * `culprit`) and counts, over every failing test, whether its feedback points at the culprit: the
 * test judges it (rubric `functions`) or the feedback names it ("fix `forward` (task 3) first",
 * "in forward", "`adamStep` is declared async"). Also whether the first failing test (rubric
 * order) does. Writes bench/blame/summary.json (committed, like the mutation scores).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exerciseSpecs, gradeTarget } from '../lib/grader/grade.js';
import { PROJECT_ROOT } from '../lib/grader/paths.js';

interface Case {
  exercise: string;
  slug: string;
  culprit: string;
  kind: string;
  find: string;
  replace: string;
}

interface CaseResult {
  exercise: string;
  slug: string;
  culprit: string;
  failing: number;
  pointing: number;
  firstPoints: boolean | null;
  misses: string[];
  seconds: number;
}

const file = path.join(PROJECT_ROOT, 'bench/blame/cases.json');
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const cases = (JSON.parse(fs.readFileSync(file, 'utf8')) as { cases: Case[] }).cases.filter((c) => !only || c.exercise === only);

/** Does this feedback (or the test's own rubric entry) point at `culprit`? */
export function pointsAt(feedback: string, judged: string[], culprit: string): boolean {
  if (judged.includes(culprit)) return true;
  return new RegExp(`(\`${culprit}\`|\\bin ${culprit}\\b|\\b${culprit}\\()`).test(feedback);
}

const results: CaseResult[] = [];
for (const c of cases) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `blame-${c.slug}-`));
  try {
    fs.cpSync(path.join(PROJECT_ROOT, 'solutions', c.exercise), path.join(dir, c.exercise), { recursive: true });
    const index = path.join(dir, c.exercise, 'index.ts');
    fs.writeFileSync(index, fs.readFileSync(index, 'utf8').replace(c.find, c.replace));
    const t0 = Date.now();
    const r = await gradeTarget({ target: dir, only: [c.exercise], seed: 1234, log: () => {} });
    const specs = new Map(exerciseSpecs(c.exercise, path.join(PROJECT_ROOT, 'test')).specs.map((s) => [s.name, s]));
    const failing = r.exercises[0]!.tests.filter((t) => t.status === 'failed');
    const ok = failing.map((t) => pointsAt(t.feedback, specs.get(t.name)?.functions ?? [], c.culprit));
    results.push({
      exercise: c.exercise,
      slug: c.slug,
      culprit: c.culprit,
      failing: failing.length,
      pointing: ok.filter(Boolean).length,
      firstPoints: failing.length > 0 ? ok[0]! : null,
      misses: failing.filter((_, i) => !ok[i]).map((t) => `${t.name}: ${t.feedback.slice(0, 200)}`),
      seconds: Math.round((Date.now() - t0) / 1000),
    });
    const last = results[results.length - 1]!;
    console.log(`${c.exercise} ${c.slug}: ${last.pointing}/${last.failing} failing tests point at ${c.culprit}; first: ${last.firstPoints} (${last.seconds} s)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const sum = (f: (r: CaseResult) => number) => results.reduce((n, r) => n + f(r), 0);
const summary = {
  when: new Date().toISOString(),
  load: os.loadavg().map((l) => +l.toFixed(1)),
  cases: results.length,
  failingTests: sum((r) => r.failing),
  pointing: sum((r) => r.pointing),
  firstPointing: results.filter((r) => r.firstPoints).length,
  casesWithoutFailure: results.filter((r) => r.failing === 0).map((r) => `${r.exercise}/${r.slug}`),
  results,
};
const out = path.join(PROJECT_ROOT, 'bench/blame/summary.json');
fs.writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`\n${summary.pointing}/${summary.failingTests} failing tests point at the culprit; the first failing test does in ${summary.firstPointing}/${results.length} cases → ${path.relative(PROJECT_ROOT, out)}`);
