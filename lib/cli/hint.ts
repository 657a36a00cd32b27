/** `course hint NN-name [level]`: progressive hints from exercises/NN-name/hints.md. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { getExercise } from '../exercises.js';

export async function hintCommand(argv: string[]): Promise<number> {
  const [name, levelArg, ...rest] = argv;
  if (!name || rest.length) throw new CourseError('`course hint` needs an exercise and optionally a level', 'e.g. `course hint 01-ffnn-from-scratch 2`');
  const ex = getExercise(name);
  const file = path.join(ex.exerciseDir, 'hints.md');
  if (!existsSync(file)) throw new CourseError(`${ex.id} has no hints.md`, 'read the exercise README instead');
  const hints = readFileSync(file, 'utf8').split(/^## /m).slice(1).map((h) => `## ${h.trim()}`);
  if (!hints.length) throw new CourseError(`${file} has no "## Hint" sections`, 'add sections starting with "## Hint 1"');
  const level = levelArg === undefined ? 1 : Number(levelArg);
  if (!Number.isInteger(level) || level < 1 || level > hints.length) {
    throw new CourseError(`hint level "${levelArg}" does not exist for ${ex.id}`, `use a level from 1 to ${hints.length}`);
  }
  console.log(hints[level - 1]);
  if (level < hints.length) console.log(`\n(more: course hint ${ex.id} ${level + 1}; ${hints.length} levels in all)`);
  return 0;
}
