/**
 * `course plot <metrics.json | NN-name> [--out DIR]`: re-draw curves from a saved metrics file,
 * e.g. after editing a run or for a report. A run with a step log (every run since per-step
 * logging) is drawn per step: each training loop's raw values faintly with an EMA over them and
 * its validation points at the epoch ends, one chart per value and its twin (lib/report/
 * curve-groups.ts). Older files: every `{name: number[]}` history found in them, per epoch.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { getExercise, REPORTS_DIR } from '../exercises.js';
import { lineChart, stepCurveChart } from '../plot/index.js';
import { curveGroups } from '../report/curve-groups.js';
import { slug } from '../report/finish.js';
import { readStepLog } from '../report/step-log.js';

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

/** The exercise's last run: the full one if there is one, else the --quick one. */
function runMetrics(id: string): string {
  const full = path.join(REPORTS_DIR, id, 'metrics.json');
  const quick = path.join(REPORTS_DIR, `${id}-quick`, 'metrics.json');
  return !existsSync(full) && existsSync(quick) ? quick : full;
}

export async function plotCommand(arg: string, flags: { out?: string }): Promise<number> {
  const file = arg.endsWith('.json') ? path.resolve(arg) : runMetrics(getExercise(arg).id);
  if (!existsSync(file)) throw new CourseError(`${file} does not exist`, 'run `course train <exercise>` first, or pass the path of a metrics.json');
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CourseError(`${file} is not valid JSON (${(err as Error).message})`, 're-create it with `course train`');
  }
  const outDir = path.resolve(flags.out ?? path.join(path.dirname(file), 'replot'));
  const stepLog = readStepLog(data);
  if (stepLog && Object.keys(stepLog.curves).length) {
    for (const [loop, curve] of Object.entries(stepLog.curves)) {
      for (const g of curveGroups(curve)) {
        const png = stepCurveChart(path.join(outDir, `${slug(`${loop}-${g.name}`)}.png`), { title: `${loop}: ${g.name}`, yLabel: g.name, series: g.series });
        console.log(path.relative(process.cwd(), png));
      }
    }
    return 0;
  }
  const found: { name: string; curves: Curves }[] = [];
  findCurves(data, [], found);
  if (!found.length) throw new CourseError(`no curves (arrays of numbers) found in ${file}`, 'plot a metrics.json that has a history');
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
