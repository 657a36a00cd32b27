/**
 * `npm start`: the main job on bundled data. A demo-size run of every exercise's reference
 * solution (`course train --demo`: minutes in all, long enough to show each exercise's effect;
 * an exercise without a demo size runs its --quick size), each writing its report pages into
 * reports/NN-name-demo/ (report.html, report.md, figures), then the grader over the reference
 * solutions (reports/grade/solutions/), and last the list of report pages to open.
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
  console.log(`\n== 1/2  demo training runs of the reference solutions (${exercises.length} exercises) ==`);
  let failures = 0;
  const pages: string[] = [];
  for (const e of exercises) {
    const t = Date.now();
    try {
      const r = await runTraining(e.id, { target: 'solutions', demo: true });
      pages.push(r.written.reportHtml);
      console.log(`  ${e.id.padEnd(26)} ${r.size} run: ${r.written.figures.length} figure(s), report in ${path.relative(ROOT, r.out)}/  (${formatSeconds((Date.now() - t) / 1000)})`);
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
  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  console.log(`\nDone in ${formatSeconds((Date.now() - t0) / 1000)}. The report pages (open in a browser; report.md beside each):`);
  for (const p of pages) console.log(`  ${rel(p)}`);
  console.log(`  ${rel(path.join(REPORTS_DIR, 'grade', 'solutions', 'report.md'))}  (the grade)`);
  return failures ? 1 : 0;
}
