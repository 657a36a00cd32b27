/**
 * `npm start`: the main job on bundled data. A short run of every exercise's reference
 * solution (plots into reports/NN-name-quick/), then the grader over the reference solutions
 * (reports/grade/solutions/: results.json, report.md linking those plots, history/).
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { initBackend } from '../backend/index.js';
import { describeError } from '../errors.js';
import { listExercises, REPORTS_DIR, ROOT } from '../exercises.js';
import { formatSeconds } from '../train/progress.js';
import { runTraining } from './train.js';

export async function startCommand(): Promise<number> {
  const t0 = Date.now();
  await initBackend();
  const exercises = listExercises();
  console.log(`\n== 1/2  short training runs of the reference solutions (${exercises.length} exercises) ==`);
  let failures = 0;
  for (const e of exercises) {
    const t = Date.now();
    try {
      const r = await runTraining(e.id, { target: 'solutions', quick: true });
      console.log(`  ${e.id.padEnd(26)} ${r.plots.length} plot(s) in ${path.relative(ROOT, r.out)}/  (${formatSeconds((Date.now() - t) / 1000)})`);
    } catch (err) {
      failures++;
      console.log(`  ${e.id.padEnd(26)} FAILED: ${describeError(err)}`);
    }
  }
  const gradeFile = path.join(ROOT, 'lib', 'cli', 'grade.ts');
  if (existsSync(gradeFile)) {
    console.log('\n== 2/2  the grader on the reference solutions ==');
    const { gradeCommand } = (await import(pathToFileURL(gradeFile).href)) as typeof import('./grade.js');
    const code = await gradeCommand({ target: 'solutions' });
    if (code !== 0) failures++;
  }
  console.log(`\nDone in ${formatSeconds((Date.now() - t0) / 1000)}. Reports: ${path.relative(process.cwd(), REPORTS_DIR) || '.'}/ (open reports/grade/solutions/report.md)`);
  return failures ? 1 : 0;
}
