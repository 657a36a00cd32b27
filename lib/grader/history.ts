/**
 * Where grade reports go and what they remember. Each target has its own folder,
 * reports/grade/<target-name>/, holding the latest results.json + report.md, and
 * history/<timestamp>.json (every grade, the full GradeReport) so an earlier grade is never
 * overwritten and `course list` can show the points of the last one.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './runner.js';
import type { GradeReport } from './types.js';

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
