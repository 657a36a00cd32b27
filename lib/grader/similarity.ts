/**
 * Similarity report for a batch of submissions, with Dolos (@dodona/dolos-lib: tree-sitter
 * tokens + winnowed k-gram fingerprints, so renaming identifiers, reformatting or reordering
 * functions does not hide a copy).
 *
 * Per exercise, every student's source files (the .ts files of their NN-name/ folder, in name
 * order) are one document; the reference solution's counterparts of the stub files are one more,
 * labelled "reference solution"; the stub is Dolos's ignored file, so text every student got
 * from the stub is not similarity. Pairs are ranked by Dolos's similarity (the share of both
 * documents covered by common fingerprints).
 *
 * Dolos is not a dependency of the project: its parsers compile with node-gyp and students must
 * never need a C++ compiler. It is loaded on demand (lib/grader/dolos.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { loadDolos, type DolosModule } from './dolos.js';
import { PROJECT_ROOT } from './runner.js';
import { locateSubmission } from './submission.js';

export const REFERENCE = 'reference solution';

export interface SimilarPair {
  a: string;
  b: string;
  /** Dolos similarity, 0…1 */
  similarity: number;
  /** longest common run, in k-grams */
  longest: number;
  /** tokens of both documents covered by common fingerprints */
  overlap: number;
  /** at or above the flag threshold */
  flagged: boolean;
}

export interface ExerciseSimilarity {
  exercise: string;
  students: number;
  /** students whose files are the stub's (nothing to compare) */
  unchanged: string[];
  /** students without this exercise */
  missing: string[];
  /** student pairs, most similar first */
  pairs: SimilarPair[];
  /** each student against the reference solution, most similar first */
  reference: SimilarPair[];
}

export interface SimilarityOptions {
  submissionsDir: string;
  exercises: string[];
  /** pairs at or above this similarity are flagged (default 0.6) */
  threshold?: number;
  /** where stubs and solutions live (default: this project) */
  exercisesDir?: string;
  solutionsDir?: string;
  dolos?: DolosModule;
}

const SOURCE = /\.(ts|js|mts|mjs)$/;
const SKIP = /^(\.|node_modules$|__MACOSX$)/;

/** The source files of one exercise folder, in name order, joined into one document. */
function readSources(dir: string, only?: Set<string>): { text: string; files: string[] } {
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((x, y) => x.name.localeCompare(y.name))) {
      if (SKIP.test(d.name)) continue;
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(r);
      else if (SOURCE.test(d.name) && (!only || only.has(r))) files.push(r);
    }
  };
  walk('');
  const text = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
  return { text, files };
}

function students(submissionsDir: string): string[] {
  if (!fs.existsSync(submissionsDir) || !fs.statSync(submissionsDir).isDirectory()) {
    throw new CourseError(`submissions folder ${submissionsDir} does not exist`, 'pass --submissions DIR with one sub-folder per student');
  }
  const names = fs
    .readdirSync(submissionsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !SKIP.test(d.name))
    .map((d) => d.name)
    .sort();
  if (names.length < 2) throw new CourseError(`${submissionsDir} has ${names.length} sub-folder(s)`, 'a similarity report needs at least two students\' folders');
  return names;
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export async function similarityReport(opts: SimilarityOptions): Promise<ExerciseSimilarity[]> {
  const dolos = opts.dolos ?? (await loadDolos());
  const threshold = opts.threshold ?? 0.6;
  const exercisesDir = opts.exercisesDir ?? path.join(PROJECT_ROOT, 'exercises');
  const solutionsDir = opts.solutionsDir ?? path.join(PROJECT_ROOT, 'solutions');
  const names = students(opts.submissionsDir);
  const out: ExerciseSimilarity[] = [];
  for (const exercise of opts.exercises) {
    const stub = readSources(path.join(exercisesDir, exercise));
    if (stub.files.length === 0) throw new CourseError(`exercises/${exercise}/ has no source files`, 'run the report from the course repository');
    // the solution's counterparts of the stub files (not train.ts & co., which students never write)
    const reference = readSources(path.join(solutionsDir, exercise), new Set(stub.files));
    const docs: { name: string; text: string }[] = [];
    const unchanged: string[] = [];
    const missing: string[] = [];
    for (const student of names) {
      let found;
      try {
        found = locateSubmission(path.join(opts.submissionsDir, student), [exercise]);
      } catch {
        missing.push(student);
        continue;
      }
      // loose files name no exercise: they count only when a single exercise is compared
      if (found.layout === 'loose files' && opts.exercises.length > 1) {
        if (found.staged) fs.rmSync(found.staged, { recursive: true, force: true });
        missing.push(student);
        continue;
      }
      try {
        const { text } = readSources(path.join(found.target, exercise));
        if (normalise(text) === normalise(stub.text) || text.trim() === '') unchanged.push(student);
        else docs.push({ name: student, text });
      } finally {
        if (found.staged) fs.rmSync(found.staged, { recursive: true, force: true });
      }
    }
    const result: ExerciseSimilarity = { exercise, students: docs.length, unchanged, missing, pairs: [], reference: [] };
    out.push(result);
    if (docs.length === 0) continue;
    if (reference.text) docs.push({ name: REFERENCE, text: reference.text });
    if (docs.length < 2) continue;
    const engine = new dolos.Dolos({ language: 'typescript' });
    const files = docs.map((d) => new dolos.File(`${d.name}.ts`, d.text));
    const report = await engine.analyze(files, exercise, new dolos.File('stub.ts', stub.text));
    for (const p of report.allPairs()) {
      const a = p.leftFile.path.replace(/\.ts$/, '');
      const b = p.rightFile.path.replace(/\.ts$/, '');
      const pair: SimilarPair = { a, b, similarity: p.similarity, longest: p.longest, overlap: p.overlap, flagged: p.similarity >= threshold };
      if (a === REFERENCE || b === REFERENCE) result.reference.push(a === REFERENCE ? { ...pair, a: b, b: a } : pair);
      else result.pairs.push(pair);
    }
    const bySimilarity = (x: SimilarPair, y: SimilarPair) => y.similarity - x.similarity || x.a.localeCompare(y.a) || x.b.localeCompare(y.b);
    result.pairs.sort(bySimilarity);
    result.reference.sort(bySimilarity);
  }
  return out;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(0)} %`;
}

/** The report as Markdown: per exercise the top pairs and the students closest to the reference. */
export function similarityMarkdown(results: readonly ExerciseSimilarity[], top = 10, threshold = 0.6): string {
  const out = ['# Similarity report', '', `Dolos similarity (share of both files covered by common code fingerprints; renaming and reordering do not lower it). Stub text is ignored. Flagged: ≥ ${pct(threshold)}. A flag is a reason to look, not a verdict.`, ''];
  for (const r of results) {
    out.push(`## ${r.exercise}`, '', `${r.students} submission(s) compared${r.unchanged.length ? `; unchanged from the stub: ${r.unchanged.join(', ')}` : ''}${r.missing.length ? `; without this exercise: ${r.missing.join(', ')}` : ''}.`, '');
    const row = (p: SimilarPair) => `| ${p.flagged ? '**' : ''}${pct(p.similarity)}${p.flagged ? '** ⚑' : ''} | ${p.a} | ${p.b} | ${p.longest} |`;
    if (r.pairs.length > 0) {
      out.push('Most similar pairs:', '', '| similarity | student | student | longest common run (k-grams) |', '|---:|---|---|---:|', ...r.pairs.slice(0, top).map(row), '');
    }
    if (r.reference.length > 0) {
      out.push('Closest to the reference solution:', '', '| similarity | student | source | longest common run (k-grams) |', '|---:|---|---|---:|', ...r.reference.slice(0, top).map(row), '');
    }
  }
  return out.join('\n');
}
