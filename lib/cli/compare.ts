/** `course compare RUN_DIR… [--out DIR]`: runs side by side (lib/report/compare.ts). */
import path from 'node:path';
import { REPORTS_DIR } from '../exercises.js';
import { compareRuns } from '../report/compare.js';
import { slug } from '../report/finish.js';

export async function compareCommand(runs: string[], flags: { out?: string }): Promise<number> {
  const out = path.resolve(flags.out ?? path.join(REPORTS_DIR, 'compare', slug(runs.map((r) => path.basename(path.resolve(r.endsWith('.json') ? path.dirname(r) : r))).join('-vs-'))));
  const r = compareRuns(runs, out);
  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  console.log(`compared ${r.labels.length} runs: ${r.labels.join(' · ')}`);
  console.log(`wrote ${rel(r.markdown)}, ${path.basename(r.html)} and ${r.figures.length} figure(s) in ${rel(r.out)}/`);
  return 0;
}
