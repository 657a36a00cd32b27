/**
 * Line and bar charts with titles, axis labels and legends. Bars carry their value (and ± its
 * standard deviation when one is given, drawn as an error bar); a train curve and its
 * validation twin ("train loss" / "val loss") share a colour, the validation one dashed.
 */
import type { Chart, ChartConfiguration, Plugin, ScaleOptionsByType } from 'chart.js';
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

const SPLIT_WORDS = /\b(train(ing)?|val(idation)?|valid|test)\b/gi;
const VALIDATION = /\b(val(idation)?|valid|test)\b/i;

/**
 * A colour per series where a train/validation pair ("train loss" and "val loss", "acc" and
 * "val_acc") shares one, the validation member dashed; other series get their own colour.
 */
export function seriesStyles(labels: string[]): { colour: string; dashed: boolean }[] {
  const base = (l: string) => l.replace(/_/g, ' ').replace(SPLIT_WORDS, ' ').replace(/[:;,]/g, ' ');
  const tidy = (l: string) => l.replace(/\s+/g, ' ').trim().toLowerCase();
  // "dropout: train" ~ "dropout: validation" first; then, among the rest, also ignoring remarks
  // in parentheses: "LSTM validation" ~ "LSTM training (epoch mean)"
  const keys: ((l: string) => string)[] = [(l) => tidy(base(l)), (l) => tidy(base(l).replace(/\([^)]*\)/g, ' '))];
  const pairOf = new Map<number, string>();
  for (const [round, key] of keys.entries()) {
    const open = labels.map((l, i) => [l, i] as const).filter(([, i]) => !pairOf.has(i));
    const counts = new Map<string, number>();
    for (const [l] of open) counts.set(key(l), (counts.get(key(l)) ?? 0) + 1);
    for (const [l, i] of open) if (counts.get(key(l)) === 2) pairOf.set(i, `${round}:${key(l)}`);
  }
  const slot = new Map<string, number>();
  return labels.map((l, i) => {
    const id = pairOf.get(i) ?? `one:${i}`;
    if (!slot.has(id)) slot.set(id, slot.size);
    return { colour: color(slot.get(id)!), dashed: pairOf.has(i) && VALIDATION.test(l.replace(/_/g, ' ')) };
  });
}

export function lineChart(file: string, o: LineChartOptions): string {
  const styles = seriesStyles(o.series.map((s) => s.label));
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: {
      datasets: o.series.map((s, i) => ({
        label: s.label,
        data: s.data.map((y, j) => ({ x: s.x?.[j] ?? j + 1, y: Number.isFinite(y) ? y : NaN })),
        borderColor: styles[i]!.colour,
        backgroundColor: styles[i]!.colour,
        borderDash: styles[i]!.dashed ? [7, 4] : [],
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
  /** `errors`: ± one standard deviation per bar (drawn as an error bar, printed after the value) */
  series: { label: string; data: number[]; errors?: number[] }[];
  logY?: boolean;
  /** how a bar's value is printed on it (default compactNumber) */
  format?: (v: number) => string;
  width?: number;
  height?: number;
}

/** The value (± std) above every bar, and the error bars themselves. */
function barValues(series: BarChartOptions['series'], format: (v: number) => string): Plugin<'bar'> {
  return {
    id: 'barValues',
    afterDatasetsDraw(chart: Chart<'bar'>) {
      const ctx = chart.ctx;
      const y = chart.scales.y!;
      ctx.save();
      ctx.font = `12px ${String(chart.options.font?.family ?? 'sans-serif')}`;
      ctx.fillStyle = '#222';
      ctx.strokeStyle = '#222';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      chart.data.datasets.forEach((_d, i) => {
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden) return;
        meta.data.forEach((bar, j) => {
          const v = series[i]?.data[j];
          if (v === undefined || !Number.isFinite(v)) return;
          const e = series[i]?.errors?.[j];
          const { x } = bar.getProps(['x'], true) as { x: number };
          let top = y.getPixelForValue(v);
          if (e !== undefined && Number.isFinite(e) && e > 0) {
            const hi = y.getPixelForValue(v + e);
            const lo = y.getPixelForValue(Math.max(v - e, y.min));
            ctx.beginPath();
            ctx.moveTo(x, lo);
            ctx.lineTo(x, hi);
            ctx.moveTo(x - 5, hi);
            ctx.lineTo(x + 5, hi);
            ctx.moveTo(x - 5, lo);
            ctx.lineTo(x + 5, lo);
            ctx.stroke();
            top = Math.min(top, hi);
          }
          ctx.fillText(e !== undefined && Number.isFinite(e) ? `${format(v)} ± ${format(e)}` : format(v), x, top - 3);
        });
      });
      ctx.restore();
    },
  };
}

export function barChart(file: string, o: BarChartOptions): string {
  const max = Math.max(...o.series.flatMap((s) => s.data.map((v, j) => v + (s.errors?.[j] ?? 0))).filter(Number.isFinite));
  const scales = axes(o.xLabel, o.yLabel, o.logY, 'category');
  // head-room for the labels above the tallest bar
  if (!o.logY && Number.isFinite(max) && max > 0) (scales.y as { suggestedMax?: number }).suggestedMax = max * 1.12;
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: o.labels,
      datasets: o.series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: color(i) })),
    },
    options: { scales, plugins: titleAndLegend(o.title) },
    plugins: [barValues(o.series, o.format ?? compactNumber)],
  };
  return renderChart(file, config as ChartConfiguration, o.width, o.height);
}
