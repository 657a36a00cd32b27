/**
 * The blame benchmark (`npm run blame [-- --only 01-ffnn-from-scratch,02-activations] [--case slug]`): grades every case of
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
import { CourseError } from '../lib/errors.js';

interface Case {
  exercise: string;
  slug: string;
  culprit: string;
  kind: string;
  /** the file of the exercise folder the bug is planted in (default index.ts) */
  file?: string;
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
  /** the first failing test and the start of its feedback (what the student reads first) */
  first?: string;
  seconds: number;
  /** when this case was last graded (a partial run keeps the others' results) */
  when?: string;
  /** the 1-minute load average when it finished */
  load?: number;
}

const file = path.join(PROJECT_ROOT, 'bench/blame/cases.json');
const arg = (flag: string) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
// --only 04-dcgan (an exercise, or several comma-separated), --case slug: re-run part of the corpus;
// the summary keeps the other cases' last results
const only = arg('--only')?.split(',');
const onlyCase = arg('--case')?.split(',');
const allCases = (JSON.parse(fs.readFileSync(file, 'utf8')) as { cases: Case[] }).cases;
const cases = allCases.filter((c) => (!only || only.includes(c.exercise)) && (!onlyCase || onlyCase.includes(c.slug)));
if (cases.length === 0) throw new CourseError(`no blame case matches ${process.argv.slice(2).join(' ')}`, 'name an exercise with --only or a slug with --case (bench/blame/cases.json)');

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
    const planted = path.join(dir, c.exercise, c.file ?? 'index.ts');
    const source = fs.readFileSync(planted, 'utf8');
    // a case whose text no longer occurs would grade the reference and count nothing
    if (source.split(c.find).length !== 2) {
      throw new CourseError(`blame case ${c.exercise}/${c.slug}: its "find" text occurs ${source.split(c.find).length - 1} times in ${c.file ?? 'index.ts'}`, 'make it match the reference solution exactly once');
    }
    fs.writeFileSync(planted, source.replace(c.find, c.replace));
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
      first: failing[0] ? `${failing[0].name}: ${failing[0].feedback.slice(0, 400)}` : undefined,
      seconds: Math.round((Date.now() - t0) / 1000),
      when: new Date().toISOString(),
      load: +os.loadavg()[0]!.toFixed(1),
    });
    const last = results[results.length - 1]!;
    console.log(`${c.exercise} ${c.slug}: ${last.pointing}/${last.failing} failing tests point at ${c.culprit}; first: ${last.firstPoints} (${last.seconds} s)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const out = path.join(PROJECT_ROOT, 'bench/blame/summary.json');
if (only || onlyCase) {
  // keep the earlier results of the cases not re-run (still in the corpus), in corpus order
  const before = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as { results?: CaseResult[] }).results ?? [] : [];
  const key = (r: { exercise: string; slug: string }) => `${r.exercise}/${r.slug}`;
  const fresh = new Map(results.map((r) => [key(r), r]));
  const old = new Map(before.map((r) => [key(r), r]));
  const merged = allCases.map((c) => fresh.get(key(c)) ?? old.get(key(c))).filter((r): r is CaseResult => r !== undefined);
  results.splice(0, results.length, ...merged);
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
  casesNotRun: allCases.filter((c) => !results.some((r) => r.exercise === c.exercise && r.slug === c.slug)).map((c) => `${c.exercise}/${c.slug}`),
  results,
};
fs.writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`\n${summary.pointing}/${summary.failingTests} failing tests point at the culprit; the first failing test does in ${summary.firstPointing}/${results.length} cases → ${path.relative(PROJECT_ROOT, out)}`);
