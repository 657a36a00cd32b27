/** `course list`: the exercises and whether the student's copy is started. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { listExercises } from '../exercises.js';

export async function listCommand(): Promise<number> {
  const all = listExercises();
  console.log('Exercises (course train <id> | course grade --only <id> | course hint <id>):\n');
  for (const e of all) {
    const stub = path.join(e.exerciseDir, 'index.ts');
    const todos = existsSync(stub) ? (readFileSync(stub, 'utf8').match(/new NotImplemented\(/g) ?? []).length : 0;
    const state = todos ? `${todos} function(s) still throw NotImplemented` : 'no TODOs left';
    console.log(`  ${e.id.padEnd(26)} ${e.title.padEnd(60).slice(0, 60)}  [${state}]`);
  }
  return 0;
}
