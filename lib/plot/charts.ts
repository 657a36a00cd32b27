/** Line and bar charts with titles, axis labels and legends. */
import type { ChartConfiguration, ScaleOptionsByType } from 'chart.js';
import { color, renderChart } from './canvas.js';

export interface LineSeries {
  label: string;
  data: number[];
  /** x values; default 1..n (epochs) */
  x?: number[];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  logY?: boolean;
  width?: number;
  height?: number;
}

/** 0.001 → "1e-3", 25000 → "2.5e+4", 12.5 → "12.5" */
export function compactNumber(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(1).replace('.0e', 'e') : String(Number(v.toPrecision(3)));
}

type Scales = Record<'x' | 'y', Partial<ScaleOptionsByType<'linear' | 'category' | 'logarithmic'>>>;

function axes(xLabel: string, yLabel: string, logY = false, xType: 'linear' | 'category' = 'linear', integerX = false): Scales {
  return {
    x: { type: xType, title: { display: true, text: xLabel }, ticks: integerX ? { precision: 0 } : {} },
    y: {
      type: logY ? 'logarithmic' : 'linear',
      title: { display: true, text: yLabel },
      // Chart.js prints log ticks in full ("10,000,000,000.0000000000"): keep them short
      ticks: logY ? { callback: (v: string | number) => compactNumber(Number(v)) } : {},
    },
  } as unknown as Scales;
}

const titleAndLegend = (title: string) => ({
  title: { display: true, text: title, font: { size: 16, weight: 'bold' as const } },
  legend: { display: true, position: 'top' as const },
});

export function lineChart(file: string, o: LineChartOptions): string {
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: {
      datasets: o.series.map((s, i) => ({
        label: s.label,
        data: s.data.map((y, j) => ({ x: s.x?.[j] ?? j + 1, y: Number.isFinite(y) ? y : NaN })),
        borderColor: color(i),
        backgroundColor: color(i),
        borderWidth: 2,
        pointRadius: s.data.length > 60 ? 0 : 2.5,
        tension: 0,
        spanGaps: false,
      })),
    },
    options: {
      parsing: false,
      scales: axes(o.xLabel, o.yLabel, o.logY, 'linear', o.series.every((s) => !s.x || s.x.every(Number.isInteger))), plugins: titleAndLegend(o.title) },
  };
  return renderChart(file, config as ChartConfiguration, o.width, o.height);
}

export interface BarChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  labels: string[];
  series: { label: string; data: number[] }[];
  logY?: boolean;
  width?: number;
  height?: number;
}

export function barChart(file: string, o: BarChartOptions): string {
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: o.labels,
      datasets: o.series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: color(i) })),
    },
    options: { scales: axes(o.xLabel, o.yLabel, o.logY, 'category'), plugins: titleAndLegend(o.title) },
  };
  return renderChart(file, config as ChartConfiguration, o.width, o.height);
}
