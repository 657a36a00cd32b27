/**
 * Line and bar charts with titles, axis labels and legends. Bars carry their value (and ± its
 * standard deviation when one is given, drawn as an error bar; upright when they are too many
 * to print side by side); a train curve and its validation twin ("train loss" / "val loss")
 * share a colour, the validation one dashed. Per-step series are drawn faintly with an EMA over
 * them, the smoothing stated in the legend. Titles wider than the chart wrap.
 */
import { Chart as ChartJs, type Chart, type ChartConfiguration, type Plugin, type ScaleOptionsByType } from 'chart.js';
import { color, FONT_FAMILY, measureCtx, renderChart, wrapText } from './canvas.js';
import { rectQuad, textQuad, type LayoutRecord } from './layout.js';
import { ema } from './smooth.js';

export interface LineSeries {
  label: string;
  data: number[];
  /** x values; default 1..n (epochs) */
  x?: number[];
  /**
   * Per-step values: drawn faintly, with their exponential moving average (this weight α, e.g.
   * autoSmoothing(n)) as the solid line; 0 draws the raw values only.
   */
  smooth?: number;
  /** markers on every point (true: e.g. per-epoch values among per-step lines), none (false), or by length (default) */
  points?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  logY?: boolean;
  /** x is in epochs with fractional steps (lib/report/step-log.ts stepEpochX): a tick per epoch */
  epochAxis?: boolean;
  width?: number;
  height?: number;
}

/** 0.001 → "1e-3", 25000 → "2.5e+4", 12.5 → "12.5" */
export function compactNumber(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(1).replace('.0e', 'e') : String(Number(v.toPrecision(3)));
}

/** Whether a log-axis tick gets a label: mantissa 1, 2 or 5. */
export function logTick(v: number): boolean {
  if (!(v > 0)) return false;
  const m = Math.round((v / 10 ** Math.floor(Math.log10(v) + 1e-9)) * 1000) / 1000;
  return m === 1 || m === 2 || m === 5;
}

type Scales = Record<'x' | 'y', Partial<ScaleOptionsByType<'linear' | 'category' | 'logarithmic'>>>;

function axes(xLabel: string, yLabel: string, logY = false, xType: 'linear' | 'category' = 'linear', integerX = false): Scales {
  return {
    x: { type: xType, title: { display: true, text: xLabel }, ticks: integerX ? { precision: 0 } : {} },
    y: {
      type: logY ? 'logarithmic' : 'linear',
      title: { display: true, text: yLabel },
      // Chart.js prints log ticks in full ("10,000,000,000.0000000000"): keep them short
      // …and only at 1, 2 and 5 × 10^k: chart.js labels every mantissa, crowded at the top of a decade
      ticks: logY ? { callback: (v: string | number) => (logTick(Number(v)) ? compactNumber(Number(v)) : '') } : {},
    },
  } as unknown as Scales;
}

const TITLE_FONT = { size: 16, weight: 'bold' as const };

/** The title, wrapped to the chart's width (a long title would be clipped at both edges). */
export function chartTitle(title: string, width: number): string | string[] {
  const lines = wrapText(title, `bold ${TITLE_FONT.size}px "${FONT_FAMILY}"`, width - 40);
  return lines.length > 1 ? lines : title;
}

const titleAndLegend = (title: string, width: number) => ({
  title: { display: true, text: chartTitle(title, width), font: TITLE_FONT },
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

/** #rrggbb → rgba(r,g,b,a) */
function faint(hex: string, alpha: number): string {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255},${(v >> 8) & 255},${v & 255},${alpha})`;
}

const point = (s: LineSeries, values: number[]) => values.map((y, j) => ({ x: s.x?.[j] ?? j + 1, y: Number.isFinite(y) ? y : NaN }));

export function lineChart(file: string, o: LineChartOptions): string {
  const width = o.width ?? 800;
  const styles = seriesStyles(o.series.map((s) => s.label));
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = [];
  const raw = new Set<number>();
  const alphas = new Set<number>();
  o.series.forEach((s, i) => {
    const { colour, dashed } = styles[i]!;
    const smoothing = s.smooth ?? 0;
    const many = s.data.length > 60;
    if (smoothing > 0) {
      alphas.add(smoothing);
      raw.add(datasets.length);
      datasets.push({ label: `${s.label} (every step)`, data: point(s, s.data), borderColor: faint(colour, 0.28), backgroundColor: faint(colour, 0.28), borderWidth: 1, pointRadius: 0, tension: 0, spanGaps: true, order: 2 });
    }
    const pointRadius = s.points === true ? 3.5 : s.points === false || many || s.smooth !== undefined ? 0 : 2.5;
    datasets.push({
      label: s.label,
      data: point(s, smoothing > 0 ? ema(s.data, smoothing) : s.data),
      borderColor: colour,
      backgroundColor: colour,
      borderDash: dashed ? [7, 4] : [],
      borderWidth: 2,
      pointRadius,
      tension: 0,
      // a series of per-step values may skip steps (NaN): join over them; epoch series keep gaps
      spanGaps: s.smooth !== undefined,
      // markers at the last epoch sit on the plot's edge: draw them whole
      clip: pointRadius > 0 ? 6 : undefined,
      order: 1,
    });
  });
  const scales = axes(o.xLabel, o.yLabel, o.logY, 'linear', o.series.every((s) => !s.x || s.x.every(Number.isInteger)));
  if (o.epochAxis) {
    const xs = o.series.flatMap((s) => s.x ?? s.data.map((_, j) => j + 1)).filter(Number.isFinite);
    const maxX = Math.max(1, ...xs);
    // from 0 when there are steps inside the first epoch, else from the first epoch
    Object.assign(scales.x, { min: Math.max(0, Math.floor(Math.min(...xs, maxX))), max: Math.ceil(maxX), ticks: { stepSize: Math.max(1, Math.ceil(Math.ceil(maxX) / 15)), precision: 0 } });
  }
  const smoothNote = alphas.size ? `faint: every step · solid: EMA-smoothed (α = ${[...alphas].map((a) => a.toFixed(2)).join(' / ')})` : '';
  const plugins = titleAndLegend(o.title, width);
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: { datasets },
    options: {
      parsing: false,
      scales,
      plugins: {
        ...plugins,
        legend: {
          ...plugins.legend,
          // a thin bar per series: solid, or dashed like the line (an empty box with a dashed outline)
          labels: {
            filter: (item) => !raw.has(item.datasetIndex ?? -1),
            boxWidth: 30,
            boxHeight: 4,
            generateLabels: (chart: Chart) =>
              ChartJs.defaults.plugins.legend.labels.generateLabels(chart).map((item) => (item.lineDash?.length ? { ...item, fillStyle: 'rgba(0,0,0,0)', lineWidth: 2 } : item)),
          },
          title: { display: smoothNote !== '', text: smoothNote, font: { size: 11 } },
        },
      },
    },
  };
  return renderChart(file, config as ChartConfiguration, width, o.height);
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
  /** value labels side by side or upright; default: upright when side by side they would not fit */
  valueLabels?: 'auto' | 'horizontal' | 'upright';
  width?: number;
  height?: number;
}

const VALUE_FONT = 12;

const valueText = (v: number, e: number | undefined, format: (v: number) => string) =>
  e !== undefined && Number.isFinite(e) ? `${format(v)} ± ${format(e)}` : format(v);

/** The value (± std) above every bar, the error bars, and (for the layout check) each bar's box. */
function barValues(series: BarChartOptions['series'], format: (v: number) => string, upright: boolean, record: LayoutRecord | null): Plugin<'bar'> {
  return {
    id: 'barValues',
    afterDatasetsDraw(chart: Chart<'bar'>) {
      const ctx = chart.ctx;
      const y = chart.scales.y!;
      ctx.save();
      ctx.font = `${VALUE_FONT}px ${String(chart.options.font?.family ?? 'sans-serif')}`;
      ctx.fillStyle = '#222';
      ctx.strokeStyle = '#222';
      chart.data.datasets.forEach((_d, i) => {
        const meta = chart.getDatasetMeta(i);
        if (meta.hidden) return;
        meta.data.forEach((bar, j) => {
          const v = series[i]?.data[j];
          const { x, y: top0, base, width } = bar.getProps(['x', 'y', 'base', 'width'], true) as { x: number; y: number; base: number; width: number };
          record?.obstacles.push({ what: `the bar of ${JSON.stringify(`${series[i]?.label}, ${String(chart.data.labels?.[j])}`)}`, quad: rectQuad(x - width / 2, Math.min(top0, base), x + width / 2, Math.max(top0, base)) });
          if (v === undefined || !Number.isFinite(v)) return;
          const e = series[i]?.errors?.[j];
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
          const text = valueText(v, e, format);
          if (upright) {
            // reading upwards, starting just above the bar
            ctx.save();
            ctx.translate(x, top - 3);
            ctx.rotate(-Math.PI / 2);
            ctx.textAlign = 'left';
            ctx.textBaseline = 'middle';
            ctx.fillText(text, 0, 0);
            ctx.restore();
          } else {
            ctx.textAlign = 'center';
            ctx.textBaseline = 'bottom';
            ctx.fillText(text, x, top - 3);
          }
        });
      });
      ctx.restore();
    },
  };
}

export function barChart(file: string, o: BarChartOptions): string {
  const width = o.width ?? 800;
  const format = o.format ?? compactNumber;
  const max = Math.max(...o.series.flatMap((s) => s.data.map((v, j) => v + (s.errors?.[j] ?? 0))).filter(Number.isFinite));
  // Labels side by side when they fit between neighbouring bars (chart.js: 80 % of a category
  // is bars), else upright. Either way the space above the plot holds the tallest bar's label.
  const ctx = measureCtx();
  ctx.font = `${VALUE_FONT}px "${FONT_FAMILY}"`;
  const texts = o.series.flatMap((s) => s.data.map((v, j) => (Number.isFinite(v) ? valueText(v, s.errors?.[j], format) : '')));
  const widest = Math.max(0, ...texts.map((t) => ctx.measureText(t).width));
  const plotWidth = width - 100;
  const category = plotWidth / Math.max(1, o.labels.length);
  // neighbouring bars: a category apart with one series, else 80 % of a category shared by the series
  const spacing = o.series.length <= 1 ? category : (category * 0.8) / o.series.length;
  const upright = o.valueLabels === 'upright' || (o.valueLabels !== 'horizontal' && widest + 6 > spacing);
  // Raise the top of the y axis so the tallest bar's label fits inside the plot: the label
  // needs `headroom` px of a plot about (height − 170) px tall (title, legend and x axis take
  // the rest; an underestimate only leaves more room).
  const headroom = (upright ? widest : VALUE_FONT) + 10;
  const share = Math.min(0.6, headroom / Math.max(100, (o.height ?? 450) - 140));
  const scales = axes(o.xLabel, o.yLabel, o.logY, 'category');
  const positive = o.series.flatMap((s) => s.data).filter((v) => Number.isFinite(v) && v > 0);
  if (o.logY && positive.length && Number.isFinite(max) && max > 0) {
    const lo = Math.floor(Math.log10(Math.min(...positive)));
    const hi = Math.log10(max);
    Object.assign(scales.y, { min: 10 ** lo, max: 10 ** (lo + (hi - lo) / (1 - share)) });
  } else if (!o.logY && Number.isFinite(max) && max > 0) {
    (scales.y as { suggestedMax?: number }).suggestedMax = max / (1 - share);
  }
  const config = (record: LayoutRecord | null): ChartConfiguration<'bar'> => ({
    type: 'bar',
    data: {
      labels: o.labels,
      datasets: o.series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: color(i) })),
    },
    options: { scales, plugins: titleAndLegend(o.title, width) },
    plugins: [barValues(o.series, format, upright, record)],
  });
  return renderChart(file, config as (r: LayoutRecord | null) => ChartConfiguration, width, o.height, { title: o.title, kind: 'bar' });
}

/** The box of `text` as the bar plugin would draw it (for tests of the layout check). */
export { textQuad };
