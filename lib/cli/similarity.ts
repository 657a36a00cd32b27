/**
 * `course similarity --submissions DIR [--only EX…] [--out DIR] [--top N] [--threshold X]`:
 * the most similar pairs of a batch per exercise, and each student against the reference
 * solution (lib/grader/similarity.ts). Needs Dolos, installed separately (the error says how).
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { listExercises } from '../grader/grade.js';
import { PROJECT_ROOT } from '../grader/runner.js';
import { similarityMarkdown, similarityReport } from '../grader/similarity.js';

export interface SimilarityArgs {
  submissions?: string;
  only?: string[];
  out?: string;
  top?: number;
  threshold?: number;
}

/** Checks the arguments (CourseError for a usage problem); returns what to run. */
function check(args: SimilarityArgs): { submissions: string; exercises: string[]; out: string; top: number; threshold: number } {
  if (!args.submissions) throw new CourseError('--submissions DIR is required', 'pass the folder holding one sub-folder per student');
  const submissions = path.resolve(args.submissions);
  if (!existsSync(submissions) || !statSync(submissions).isDirectory()) throw new CourseError(`--submissions ${args.submissions} is not a folder`, 'pass an existing folder to --submissions');
  const known = listExercises();
  for (const e of args.only ?? []) if (!known.includes(e)) throw new CourseError(`unknown exercise "${e}"`, `choose from: ${known.join(', ')}`);
  const threshold = args.threshold ?? 0.6;
  if (!(threshold >= 0 && threshold <= 1)) throw new CourseError(`--threshold must be between 0 and 1, got ${threshold}`, 'e.g. --threshold 0.6');
  const top = args.top ?? 10;
  if (!(Number.isInteger(top) && top > 0)) throw new CourseError(`--top must be a positive integer, got ${top}`, 'e.g. --top 10');
  return { submissions, exercises: args.only && args.only.length > 0 ? args.only : known, out: path.resolve(args.out ?? path.join(PROJECT_ROOT, 'reports', 'similarity')), top, threshold };
}

/** The command's logic, apart from flag parsing. Exit 0 with a report, 2 usage error; a missing Dolos is a CourseError (1). */
export async function similarity(args: SimilarityArgs): Promise<number> {
  let c;
  try {
    c = check(args);
  } catch (err) {
    if (err instanceof CourseError) {
      console.error(`course similarity: ${err.problem}\n  fix: ${err.fix}`);
      return 2;
    }
    throw err;
  }
  const results = await similarityReport({ submissionsDir: c.submissions, exercises: c.exercises, threshold: c.threshold });
  const md = similarityMarkdown(results, c.top, c.threshold);
  mkdirSync(c.out, { recursive: true });
  writeFileSync(path.join(c.out, 'similarity.md'), `${md}\n`);
  writeFileSync(path.join(c.out, 'similarity.json'), `${JSON.stringify({ threshold: c.threshold, exercises: results }, null, 2)}\n`);
  console.log(md);
  console.log(`wrote ${path.relative(process.cwd(), path.join(c.out, 'similarity.md'))} and similarity.json (every pair)`);
  return 0;
}

/** Flags are parsed by lib/cli/program.ts. */
export async function similarityCommand(args: SimilarityArgs): Promise<number> {
  return similarity(args);
}
