/**
 * `course list`: the exercises, how many functions of your copy still throw NotImplemented
 * (every .ts file of the exercise folder, not only index.ts) and the points of your last grade.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EXERCISES_DIR, listExercises } from '../exercises.js';
import { defaultGradeDir, lastGrades } from '../grader/history.js';

/** Every .ts file under `dir` (node_modules and dot-folders left out). */
export function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.d.ts'))
    .map((d) => path.join(d.parentPath, d.name))
    .filter((f) => !path.relative(dir, f).split(path.sep).some((p) => p === 'node_modules' || p.startsWith('.')))
    .sort();
}

/** Calls of `new NotImplemented(` per file of the exercise folder (a finished function has none). */
export function countTodos(dir: string): { total: number; files: { file: string; count: number }[] } {
  const files = sourceFiles(dir)
    .map((f) => ({ file: path.relative(dir, f), count: (readFileSync(f, 'utf8').match(/new NotImplemented\(/g) ?? []).length }))
    .filter((f) => f.count > 0);
  return { total: files.reduce((n, f) => n + f.count, 0), files };
}

export async function listCommand(): Promise<number> {
  const all = listExercises();
  const last = lastGrades(defaultGradeDir(EXERCISES_DIR));
  console.log('Exercises (course watch <id> | course grade --only <id> | course hint <id> | course train <id>):\n');
  for (const e of all) {
    const todos = countTodos(e.exerciseDir);
    const where = todos.files.length > 1 ? ` in ${todos.files.map((f) => `${f.file} (${f.count})`).join(', ')}` : todos.files.length ? ` in ${todos.files[0]!.file}` : '';
    const state = !existsSync(e.exerciseDir) ? 'no exercise folder' : todos.total ? `${todos.total} function(s) still throw NotImplemented${where}` : 'no TODOs left';
    const g = last.get(e.id);
    const grade = g ? `last grade ${g.score}/${g.maxScore} (${g.when.slice(0, 16).replace('T', ' ')} UTC)` : 'not graded yet';
    console.log(`  ${e.id}  ${e.title}\n      ${state}; ${grade}`);
  }
  return 0;
}
