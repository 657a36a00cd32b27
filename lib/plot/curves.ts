/**
 * Training curves from a run's step log (lib/report/step-log.ts): per-step values drawn faintly
 * with an EMA over them, per-epoch values (validation) as marked points at the epoch ends, on
 * one x axis in epochs with a tick per epoch.
 *
 *   stepCurveChart(file, { title, yLabel: 'cross-entropy', series: [
 *     { label: 'train', curve: loop.curve, key: 'loss' },                      // every step
 *     { label: 'validation', curve: loop.curve, key: 'val_loss', per: 'epoch' } // epoch ends
 *   ] });
 */
import { stepCount, stepEpochX, type CurveData } from '../report/step-log.js';
import { lineChart, type LineSeries } from './charts.js';
import { autoSmoothing } from './smooth.js';
import { noteCurvesDrawn } from '../report/context.js';

export interface CurveSeries {
  label: string;
  curve: CurveData;
  key: string;
  /** 'step' (default): every step, smoothed; 'epoch': one marked point per epoch */
  per?: 'step' | 'epoch';
}

export interface StepCurveChartOptions {
  title: string;
  yLabel: string;
  series: CurveSeries[];
  logY?: boolean;
  /** what one step is, for the x-axis label (e.g. "a batch of 32") */
  stepIs?: string;
  /** EMA weight for the per-step series (default autoSmoothing of the longest) */
  smoothing?: number;
  /** horizontal reference lines across the whole run (e.g. a baseline's loss) */
  baselines?: { label: string; value: number }[];
  width?: number;
  height?: number;
}

/** The LineSeries a CurveSeries becomes (x in epochs). */
export function curveToLine(s: CurveSeries, smoothing: number): LineSeries {
  if (s.per === 'epoch') {
    const data = s.curve.epochs[s.key] ?? [];
    return { label: s.label, data, x: data.map((_, i) => i + 1), points: true };
  }
  return { label: s.label, data: s.curve.steps[s.key] ?? [], x: stepEpochX(s.curve), smooth: smoothing };
}

export function stepCurveChart(file: string, o: StepCurveChartOptions): string {
  const longest = Math.max(0, ...o.series.filter((s) => s.per !== 'epoch').map((s) => stepCount(s.curve)));
  const smoothing = o.smoothing ?? autoSmoothing(longest);
  noteCurvesDrawn(o.series.map((s) => s.curve));
  const lines = o.series.map((s) => curveToLine(s, smoothing));
  const xs = lines.flatMap((l) => l.x ?? []).filter(Number.isFinite);
  const lastEpoch = Math.ceil(Math.max(1, ...xs));
  const firstX = Math.max(0, Math.floor(Math.min(lastEpoch, ...xs)));
  const baselines = (o.baselines ?? []).map((b) => ({ label: b.label, data: [b.value, b.value], x: [firstX, lastEpoch], points: false }));
  return lineChart(file, {
    title: o.title,
    xLabel: o.stepIs ? `epoch (a step = ${o.stepIs})` : 'epoch',
    yLabel: o.yLabel,
    logY: o.logY,
    epochAxis: true,
    series: [...lines, ...baselines],
    width: o.width,
    height: o.height,
  });
}
