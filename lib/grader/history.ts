/**
 * Where grade reports go and what they remember. Each target has its own folder,
 * reports/grade/<target-name>/, holding the latest results.json + report.md, and
 * history/<timestamp>.json (every grade, the full GradeReport) so an earlier grade is never
 * overwritten and `course list` can show the points of the last one.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { toGradescope, type GradescopeTest } from './report.js';
import { PROJECT_ROOT } from './runner.js';
import type { ExerciseGrade, GradeReport } from './types.js';

export const GRADE_REPORTS_DIR = path.join(PROJECT_ROOT, 'reports', 'grade');

/** A readable folder name that is unique per target path. */
export function targetName(target: string): string {
  const abs = path.resolve(target);
  for (const known of ['exercises', 'solutions']) if (abs === path.join(PROJECT_ROOT, known)) return known;
  const rel = path.relative(PROJECT_ROOT, abs);
  const clean = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'target';
  if (!rel.startsWith('..') && !path.isAbsolute(rel)) return clean(rel);
  return `${clean(path.basename(abs))}-${createHash('sha1').update(abs).digest('hex').slice(0, 6)}`;
}

export function defaultGradeDir(target: string): string {
  return path.join(GRADE_REPORTS_DIR, targetName(target));
}

export interface HistoryEntry extends GradeReport {
  /** ISO time the grade finished */
  when: string;
}

/** Appends the report to <outDir>/history/; returns the file written. */
export function writeHistory(report: GradeReport, outDir: string, now = new Date()): string {
  const dir = path.join(outDir, 'history');
  fs.mkdirSync(dir, { recursive: true });
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  let file = path.join(dir, `${stamp}.json`);
  for (let i = 1; fs.existsSync(file); i++) file = path.join(dir, `${stamp}-${i}.json`);
  const entry: HistoryEntry = { ...report, when: now.toISOString() };
  fs.writeFileSync(file, `${JSON.stringify(entry, null, 2)}\n`);
  return file;
}

export function readHistory(outDir: string): HistoryEntry[] {
  const dir = path.join(outDir, 'history');
  if (!fs.existsSync(dir)) return [];
  const out: HistoryEntry[] = [];
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    try {
      const e = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as HistoryEntry;
      if (Array.isArray(e.exercises) && typeof e.when === 'string') out.push(e);
    } catch {
      // a damaged history file is skipped, not fatal
    }
  }
  return out.sort((a, b) => a.when.localeCompare(b.when));
}

export interface LastGrade {
  score: number;
  maxScore: number;
  when: string;
}

/** Per exercise, the points of its latest full (not --task/--test narrowed) grade. */
export function lastGrades(outDir: string): Map<string, LastGrade> {
  const last = new Map<string, LastGrade>();
  for (const e of readHistory(outDir)) {
    if (e.narrowed) continue;
    for (const ex of e.exercises) last.set(ex.exercise, { score: ex.score, maxScore: ex.maxScore, when: e.when });
  }
  return last;
}

/**
 * A check by `course watch` (one or a few tasks of one exercise), kept like a grade: a history
 * entry (narrowed "course watch: task 2"), and the exercise's latest watch results as a
 * results.json (<outDir>/watch-<exercise>/) that `course hint` reads: the checked tasks' tests
 * replace their earlier ones, the other tasks keep what the watch last saw.
 */
export function recordWatchCheck(
  o: { target: string; grade: ExerciseGrade; tasks: number[]; seed: number; outDir?: string },
  now = new Date(),
): { history: string; results: string } {
  const outDir = o.outDir ?? defaultGradeDir(o.target);
  const tests = o.grade.tests;
  const report: GradeReport = {
    target: o.target,
    seed: o.seed,
    score: tests.reduce((n, t) => n + t.points, 0),
    maxScore: tests.reduce((n, t) => n + t.maxPoints, 0),
    seconds: o.grade.seconds,
    exercises: [o.grade],
    narrowed: `course watch: task${o.tasks.length > 1 ? 's' : ''} ${o.tasks.join(', ')}`,
  };
  const history = writeHistory(report, outDir, now);
  const results = path.join(outDir, `watch-${o.grade.exercise}`, 'results.json');
  const fresh = toGradescope(report).tests;
  let kept: GradescopeTest[] = [];
  try {
    const before = JSON.parse(fs.readFileSync(results, 'utf8')) as { tests?: GradescopeTest[] };
    const checked = new Set(o.tasks.map((t) => `task ${t}`));
    kept = (before.tests ?? []).filter((t) => !t.tags?.some((g) => checked.has(g)));
  } catch {
    // no earlier watch results (or a damaged file): this check is all there is
  }
  const taskOf = (t: GradescopeTest) => Number(/^task (\d+)$/.exec(t.tags?.find((g) => g.startsWith('task ')) ?? '')?.[1] ?? 0);
  const merged = [...kept, ...fresh].sort((a, b) => taskOf(a) - taskOf(b));
  fs.mkdirSync(path.dirname(results), { recursive: true });
  const score = merged.reduce((n, t) => n + (t.score ?? 0), 0);
  fs.writeFileSync(results, `${JSON.stringify({ score, when: now.toISOString(), source: 'course watch', tests: merged }, null, 2)}\n`);
  return { history, results };
}
