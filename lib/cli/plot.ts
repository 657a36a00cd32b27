/**
 * `course plot <metrics.json | NN-name> [--out DIR]`: re-draw curves from a saved metrics file
 * (every `{name: number[]}` history found in it), e.g. after editing a run or for a report.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { getExercise, REPORTS_DIR } from '../exercises.js';
import { lineChart } from '../plot/index.js';
import { parseFlags } from './args.js';

type Curves = Record<string, number[]>;

function findCurves(value: unknown, trail: string[], out: { name: string; curves: Curves }[]): void {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  const entries = Object.entries(value as Record<string, unknown>);
  const curves = Object.fromEntries(
    entries.filter(([, v]) => Array.isArray(v) && v.length > 1 && v.every((x) => typeof x === 'number')),
  ) as Curves;
  if (Object.keys(curves).length) out.push({ name: trail.join(' / ') || 'metrics', curves });
  for (const [k, v] of entries) findCurves(v, [...trail, k], out);
}

export async function plotCommand(argv: string[]): Promise<number> {
  const { positionals, flags } = parseFlags('plot', argv, { out: { type: 'string', help: 'output folder (default: beside the metrics file)' } });
  const arg = positionals[0];
  if (!arg) throw new CourseError('`course plot` needs a metrics.json file or an exercise name', 'e.g. `course plot 01-ffnn-from-scratch` after `course train 01-ffnn-from-scratch`');
  const file = arg.endsWith('.json') ? path.resolve(arg) : path.join(REPORTS_DIR, getExercise(arg).id, 'metrics.json');
  if (!existsSync(file)) throw new CourseError(`${file} does not exist`, 'run `course train <exercise>` first, or pass the path of a metrics.json');
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CourseError(`${file} is not valid JSON (${(err as Error).message})`, 're-create it with `course train`');
  }
  const found: { name: string; curves: Curves }[] = [];
  findCurves(data, [], found);
  if (!found.length) throw new CourseError(`no curves (arrays of numbers) found in ${file}`, 'plot a metrics.json that has a history');
  const outDir = path.resolve(flags.out ?? path.join(path.dirname(file), 'replot'));
  for (const { name, curves } of found) {
    // losses and accuracies on separate charts: their scales differ
    const groups: Record<string, Curves> = {};
    for (const [k, v] of Object.entries(curves)) (groups[/acc/i.test(k) ? 'accuracy' : /loss/i.test(k) ? 'loss' : 'value'] ??= {})[k] = v;
    for (const [kind, g] of Object.entries(groups)) {
      const png = path.join(outDir, `${name.replace(/[^a-z0-9]+/gi, '-')}-${kind}.png`.replace(/^-/, ''));
      lineChart(png, {
        title: `${name}: ${kind}`,
        xLabel: 'epoch',
        yLabel: kind,
        series: Object.entries(g).map(([label, data]) => ({ label, data })),
      });
      console.log(path.relative(process.cwd(), png));
    }
  }
  return 0;
}
