/**
 * The end of a `course train`: complete the exercise's report draft with what the run wrote but
 * its story did not place (per-step curves of every training loop no figure drew, other figures,
 * every number of metrics.json), and write metrics.json, report.md and report.html.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stepCurveChart } from '../plot/curves.js';
import { metricsTableBlocks } from '../cli/run-report.js';
import type { RunContext, WrittenFigure } from './context.js';
import { curveGroups } from './curve-groups.js';
import { compactJson } from './json.js';
import { toHtml, toMarkdown, vectorsOf } from './render.js';
import type { Report } from './report.js';
import { stepCount } from './step-log.js';

/** A file name from a curve name: "seed 43 · scratch 25/class" → "seed-43-scratch-25-class" */
export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'curve';
}

/**
 * Charts for the curves of the run's step log that no figure drew (an exercise that does not
 * draw its own per-step plots still gets them): one chart per curve and value (with its
 * validation twin), under curves/.
 */
function addUndrawnCurves(report: Report, ctx: RunContext, out: string): void {
  const undrawn = [...ctx.log.curves.values()].filter((c) => !ctx.drawnCurves.has(c.data) && stepCount(c.data) > 0 && !ctx.omitted.some((t) => t(c.name)));
  if (undrawn.length === 0) return;
  report.section('Training curves of every loop');
  report.text(
    'Each training loop of the run, every step (faint) with its exponential moving average, and the values measured at the end of each epoch (marked). ' +
      'Look for: a loss that falls and flattens; a validation curve that turns up while training keeps falling (overfitting); spikes (a learning rate too high).',
  );
  for (const c of undrawn) {
    for (const g of curveGroups(c.data)) {
      const file = stepCurveChart(path.join(out, 'curves', `${slug(c.name)}-${slug(g.name)}.png`), {
        title: `${c.name}: ${g.name}`,
        yLabel: g.name,
        series: g.series,
        logY: /ratio/i.test(g.name), // update/weight ratios span decades
      });
      report.figure(file, `${g.name} of the loop "${c.name}" (${stepCount(c.data)} steps, ${c.data.epochSteps.length} epochs).`);
    }
  }
}

export interface FinishInput {
  report: Report;
  ctx: RunContext;
  out: string;
  /** what goes to metrics.json (the CLI's fields + the exercise's metrics) */
  metrics: Record<string, unknown>;
  /** the plots and samples train.ts returned */
  plots: string[];
  samples: string[];
  /** train.ts wrote a report.md of its own (the old way): keep it, write ours as numbers.md */
  ownReportMd: boolean;
}

export interface Written {
  metrics: string;
  reportMd: string;
  reportHtml: string;
  /** every figure PNG the run wrote, with its vector copies */
  figures: WrittenFigure[];
  /** figures whose text is clipped or overlaps (file → problems) */
  layoutProblems: [string, string[]][];
  /** what metrics.json's stepLog holds, or null when the run logged no steps */
  stepCurves: { curves: number; steps: number } | null;
}

export function finishRun(i: FinishInput): Written {
  const { report, ctx, out } = i;
  report.beginAppendix();
  addUndrawnCurves(report, ctx, out);

  // figures the run wrote (lib/plot noted them; train.ts may also return others) but did not place
  const placed = new Set(report.placedFiles().map((f) => path.resolve(f)));
  const known = new Map(ctx.figures.map((f) => [path.resolve(f.file), f]));
  for (const p of [...i.plots, ...i.samples].filter((f) => f.endsWith('.png'))) {
    if (!known.has(path.resolve(p)) && existsSync(p)) known.set(path.resolve(p), { file: p, vector: vectorsOf(p), title: path.basename(p, '.png'), kind: 'line', layoutProblems: [] });
  }
  const unplaced = [...known.values()].filter((f) => !placed.has(path.resolve(f.file)));
  if (unplaced.length) {
    report.section(report.figureCount ? 'Other figures' : 'Figures');
    for (const f of unplaced) report.figure(f.file, `${f.title}.`);
  }
  const texts = i.samples.filter((f) => /\.(md|txt)$/.test(f) && existsSync(f));
  if (texts.length) {
    report.section('Other files of this run');
    report.list(texts.map((f) => `[${path.basename(f)}](${path.relative(out, f).split(path.sep).join('/')})`));
  }
  const tables = metricsTableBlocks(i.metrics);
  if (tables.length) {
    report.section('All numbers (metrics.json)');
    for (const t of tables) report.table({ caption: t.caption === 'scalars' ? 'every scalar of the run' : t.caption, columns: t.columns, rows: t.rows });
  }

  mkdirSync(out, { recursive: true });
  const metricsFile = path.join(out, 'metrics.json');
  writeFileSync(metricsFile, `${compactJson({ ...i.metrics, ...(ctx.log.isEmpty ? {} : { stepLog: ctx.log }) })}\n`);
  const reportMd = path.join(out, i.ownReportMd ? 'numbers.md' : 'report.md');
  writeFileSync(reportMd, toMarkdown(report, out));
  const reportHtml = path.join(out, 'report.html');
  writeFileSync(reportHtml, toHtml(report, { out, images: 'inline' }));
  const figures = [...known.values()].filter((f) => existsSync(f.file));
  return {
    metrics: metricsFile,
    reportMd,
    reportHtml,
    figures,
    layoutProblems: figures.filter((f) => f.layoutProblems.length).map((f) => [f.file, f.layoutProblems]),
    stepCurves: ctx.log.isEmpty ? null : { curves: ctx.log.curves.size, steps: [...ctx.log.curves.values()].reduce((a, c) => a + c.steps, 0) },
  };
}

/** true when `file` exists and was written at or after `since` (ms since the epoch) */
export function writtenSince(file: string, since: number): boolean {
  return existsSync(file) && statSync(file).mtimeMs >= since;
}
