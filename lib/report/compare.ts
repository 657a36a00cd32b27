/**
 * `course compare RUN_DIR…`: several runs of an exercise side by side — another seed, another
 * learning rate, the stubs against the reference. Reads each run's metrics.json (any exercise;
 * runs from before per-step logging compare by their per-epoch histories), overlays the same
 * curves of every run on one chart (the legend: the run's name and the settings that differ),
 * and tables the final numbers side by side. Writes compare.md, compare.html and the figures.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { lineChart } from '../plot/charts.js';
import { curveToLine, type CurveSeries } from '../plot/curves.js';
import { autoSmoothing } from '../plot/smooth.js';
import { curveGroups } from './curve-groups.js';
import { slug } from './finish.js';
import { toHtml, toMarkdown } from './render.js';
import { formatCell, Report, type Cell } from './report.js';
import { readStepLog, stepCount, type StepLogJson } from './step-log.js';

export interface RunData {
  /** the run's folder (or the metrics file's folder) */
  dir: string;
  /** its name in legends and table headers */
  name: string;
  metrics: Record<string, unknown>;
  stepLog: StepLogJson | null;
}

/** The settings of a run, as flat "path: value" pairs (what the CLI records + the exercise's config). */
const SETTING_KEYS = ['exercise', 'target', 'backend', 'seed', 'seeds', 'epochs', 'quick', 'demo'];
/** Never numbers to compare: file lists, the per-step log, and the settings. */
const NOT_RESULTS = new Set(['stepLog', 'plots', 'samples', 'config', ...SETTING_KEYS, 'tfBackend']);

export function readRun(arg: string): RunData {
  const file = arg.endsWith('.json') ? path.resolve(arg) : path.resolve(arg, 'metrics.json');
  if (!existsSync(file)) {
    throw new CourseError(
      `${file} does not exist`,
      existsSync(arg) && statSync(arg).isDirectory() ? `${arg} is not the folder of a finished run: run \`course train <exercise> --out ${arg}\` first` : 'pass the folders of finished runs (e.g. reports/02-activations-quick), or their metrics.json',
    );
  }
  let metrics: Record<string, unknown>;
  try {
    metrics = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new CourseError(`${file} is not valid JSON (${(err as Error).message})`, 're-create it with `course train`');
  }
  return { dir: path.dirname(file), name: path.basename(path.dirname(file)), metrics, stepLog: readStepLog(metrics) };
}

/** Leaves of an object as "a › b" paths, arrays of numbers kept whole. */
function leaves(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) leaves(v, prefix ? `${prefix} › ${k}` : k, out);
  } else out.set(prefix, value);
  return out;
}

export function settingsOf(m: Record<string, unknown>): Map<string, unknown> {
  const s = new Map<string, unknown>();
  // scalars only (02 and 05 also list their seeds as an array among the results)
  for (const k of SETTING_KEYS) if (m[k] !== undefined && (m[k] === null || typeof m[k] !== 'object')) s.set(k, m[k]);
  for (const [k, v] of leaves(m.config, 'config')) if (v === null || typeof v !== 'object') s.set(k, v);
  return s;
}

/** The settings whose values are not the same in every run. */
export function differingSettings(runs: RunData[]): string[] {
  const all = runs.map((r) => settingsOf(r.metrics));
  const keys = [...new Set(all.flatMap((s) => [...s.keys()]))];
  return keys.filter((k) => new Set(all.map((s) => JSON.stringify(s.get(k) ?? null))).size > 1);
}

const show = (v: unknown) => (typeof v === 'string' && v.includes(path.sep) ? path.basename(v) : String(v));

/** "seed-42 (seed 42)": the run's name and the settings that differ (names made unique first). */
export function runLabels(runs: RunData[]): string[] {
  const names = runs.map((r) => r.name);
  const unique = names.map((n, i) => (names.indexOf(n) !== i || names.lastIndexOf(n) !== i ? `${path.basename(path.dirname(runs[i]!.dir))}/${n}` : n));
  const diff = differingSettings(runs);
  return runs.map((r, i) => {
    const s = settingsOf(r.metrics);
    const parts = diff.map((k) => `${k.replace(/^config › /, '')} ${show(s.get(k) ?? '—')}`);
    return parts.length ? `${unique[i]} (${parts.join(', ')})` : unique[i]!;
  });
}

/** The final numbers of every run: one row per number any run has, one column per run. */
export function finalNumbers(runs: RunData[]): { columns: string[]; rows: Cell[][] } {
  const per = runs.map((r) => {
    const m = new Map<string, unknown>();
    for (const [k, v] of Object.entries(r.metrics)) if (!NOT_RESULTS.has(k)) leaves(v, k, m);
    return m;
  });
  const keys = [...new Set(per.flatMap((m) => [...m.keys()]))].filter((k) => per.some((m) => typeof m.get(k) === 'number' || (typeof m.get(k) === 'string' && String(m.get(k)).length < 40)));
  const labels = runLabels(runs);
  const numeric = (k: string) => per.map((m) => m.get(k)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return {
    columns: ['metric', ...labels, ...(runs.length > 1 ? ['spread (max − min)'] : [])],
    rows: keys.map((k) => {
      const nums = numeric(k);
      const cells: Cell[] = per.map((m) => {
        const v = m.get(k);
        return typeof v === 'number' || typeof v === 'string' ? v : v === null || v === undefined ? null : formatCell(JSON.stringify(v));
      });
      return [k, ...cells, ...(runs.length > 1 ? [nums.length === runs.length ? Math.max(...nums) - Math.min(...nums) : null] : [])];
    }),
  };
}

/** Per-epoch histories of a run from before per-step logging: every array of numbers, by path. */
function histories(m: Record<string, unknown>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [k, v] of leaves(Object.fromEntries(Object.entries(m).filter(([k]) => !NOT_RESULTS.has(k))))) {
    if (Array.isArray(v) && v.length > 1 && v.every((x) => typeof x === 'number')) out.set(k, v as number[]);
  }
  return out;
}

export interface CompareResult {
  out: string;
  markdown: string;
  html: string;
  figures: string[];
  labels: string[];
}

export function compareRuns(args: string[], out: string): CompareResult {
  if (args.length < 2) throw new CourseError(`course compare needs at least two runs, got ${args.length}`, 'pass two or more run folders, e.g. `course compare reports/02-activations-quick /tmp/02-seed7`');
  const runs = args.map(readRun);
  const exercises = new Set(runs.map((r) => String(r.metrics.exercise ?? '?')));
  const labels = runLabels(runs);
  mkdirSync(out, { recursive: true });
  const report = new Report({
    title: `Comparison of ${runs.length} runs${exercises.size === 1 ? ` of ${[...exercises][0]}` : ''}`,
    subtitle: `Runs: ${runs.map((r, i) => `\`${labels[i]}\` (${path.relative(process.cwd(), r.dir) || '.'})`).join(', ')}. Settings that differ: ${differingSettings(runs).join(', ') || 'none recorded'}.`,
  });
  const figures: string[] = [];

  // per-step curves: every curve name any run logged, one chart per value group
  const curveNames = [...new Set(runs.flatMap((r) => Object.keys(r.stepLog?.curves ?? {})))];
  if (curveNames.length) report.section('Training curves, run against run');
  for (const name of curveNames) {
    const first = runs.find((r) => r.stepLog?.curves[name])!.stepLog!.curves[name]!;
    for (const g of curveGroups(first)) {
      const series: CurveSeries[] = [];
      runs.forEach((r, i) => {
        const c = r.stepLog?.curves[name];
        if (!c) return;
        for (const s of g.series) {
          const has = s.per === 'epoch' ? c.epochs[s.key] : c.steps[s.key];
          if (has) series.push({ ...s, curve: c, label: g.series.length > 1 ? `${labels[i]}: ${s.key}` : labels[i]! });
        }
      });
      if (series.length === 0) continue;
      const smoothing = autoSmoothing(Math.max(0, ...series.filter((s) => s.per !== 'epoch').map((s) => stepCount(s.curve))));
      const file = lineChart(path.join(out, `${slug(name)}-${slug(g.name)}.png`), {
        title: `${name}: ${g.name}`,
        xLabel: 'epoch',
        yLabel: g.name,
        epochAxis: true,
        logY: /ratio/i.test(g.name),
        series: series.map((s) => curveToLine(s, smoothing)),
      });
      figures.push(file);
      report.figure(file, `${g.name} of "${name}" in each run (per step where logged, faint with its moving average; per-epoch values marked). Look for: curves that differ by more than their step-to-step noise.`);
    }
  }
  // runs from before per-step logging: their per-epoch histories
  if (curveNames.length === 0) {
    const perRun = runs.map((r) => histories(r.metrics));
    const keys = [...new Set(perRun.flatMap((h) => [...h.keys()]))].filter((k) => perRun.filter((h) => h.has(k)).length >= 2);
    if (keys.length) report.section('Per-epoch histories, run against run');
    for (const k of keys) {
      const file = lineChart(path.join(out, `${slug(k)}.png`), {
        title: k,
        xLabel: 'epoch',
        yLabel: k.split(' › ').at(-1)!,
        series: perRun.flatMap((h, i) => (h.has(k) ? [{ label: labels[i]!, data: h.get(k)! }] : [])),
      });
      figures.push(file);
      report.figure(file, `${k}, one line per run.`);
    }
  }
  const table = finalNumbers(runs);
  report.section('Final numbers');
  report.table({ caption: 'Every number of each run’s metrics.json, side by side (settings excluded: see the legend).', ...table });
  const differ = table.rows.filter((r) => typeof r[r.length - 1] === 'number' && (r[r.length - 1] as number) > 0).length;
  report.conclusion(`${differ} of ${table.rows.length} numbers differ between the runs; the settings that differ: ${differingSettings(runs).join(', ') || 'none recorded (same settings: the spread is run-to-run noise)'}.`);

  const markdown = path.join(out, 'compare.md');
  const html = path.join(out, 'compare.html');
  writeFileSync(markdown, toMarkdown(report, out));
  writeFileSync(html, toHtml(report, { out, images: 'inline' }));
  return { out, markdown, html, figures, labels };
}
