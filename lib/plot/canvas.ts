/**
 * Canvas + Chart.js set-up shared by every plot: a bundled font (machines without system fonts
 * otherwise render charts with no text at all), BasicPlatform (no DOM), no animation, a white
 * background; PNG output, plus the same drawing as vector graphics beside it (SVG by default,
 * PDF on request: `setFigureFormats`), a layout check of every figure, and a note of each figure
 * to the running `course train` (lib/report/context.ts).
 *
 * Why chart.js on @napi-rs/canvas and not chartjs-node-canvas: see docs/ARCHITECTURE.md ("lib/plot").
 */
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCanvas, GlobalFonts, PDFDocument, SvgExportFlag, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { BasicPlatform, Chart, registerables, type ChartConfiguration, type Plugin } from 'chart.js';
import { CourseError } from '../errors.js';
import { noteFigure, type WrittenFigure } from '../report/context.js';
import { layoutProblems, recordLayout, type ChartBox, type LayoutRecord } from './layout.js';

export const FONT_FAMILY = 'DejaVu Sans';
const require = createRequire(import.meta.url);
let ready = false;

function setUp(): void {
  if (ready) return;
  const dir = path.dirname(require.resolve('@fontsource/dejavu-sans/package.json'));
  for (const weight of ['400', '700']) {
    GlobalFonts.registerFromPath(path.join(dir, 'files', `dejavu-sans-latin-${weight}-normal.woff2`), FONT_FAMILY);
  }
  if (!GlobalFonts.has(FONT_FAMILY)) {
    throw new Error(`could not register the bundled font ${FONT_FAMILY}; reinstall with npm ci`);
  }
  Chart.register(...registerables);
  Chart.defaults.font.family = FONT_FAMILY;
  Chart.defaults.font.size = 13;
  Chart.defaults.color = '#222';
  ready = true;
}

// ── output formats ──

export type VectorFormat = 'svg' | 'pdf';
export const FIGURE_FORMATS = ['png', 'svg', 'pdf'] as const;
let vectorFormats: VectorFormat[] = parseFormats(process.env.COURSE_FIGURES ?? 'png,svg');

/** "png,svg,pdf" → the vector formats to write beside every PNG; a CourseError names a bad one. */
export function parseFormats(list: string): VectorFormat[] {
  const names = list.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bad = names.filter((n) => !(FIGURE_FORMATS as readonly string[]).includes(n));
  if (bad.length) throw new CourseError(`unknown figure format ${bad.join(', ')}`, `use a comma-separated list of ${FIGURE_FORMATS.join(', ')} (PNG is always written)`);
  return names.filter((n): n is VectorFormat => n !== 'png');
}

/** Which vector formats every chart also writes (PNG always). Returns the previous setting. */
export function setFigureFormats(formats: VectorFormat[]): VectorFormat[] {
  const before = vectorFormats;
  vectorFormats = [...new Set(formats)];
  return before;
}

export function figureFormats(): VectorFormat[] {
  return [...vectorFormats];
}

// ── drawing ──

export function newCanvas(width: number, height: number): Canvas {
  setUp();
  return createCanvas(width, height);
}

export function writePng(file: string, canvas: Canvas): string {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, canvas.toBuffer('image/png'));
  return file;
}

/**
 * Something chart.js or a draw function can draw on: a canvas's size and its 2-D context. The
 * PNG pass gets the real canvas; the SVG pass an SvgCanvas; the PDF pass a stand-in whose
 * context is a PDF page.
 */
export interface DrawTarget {
  width: number;
  height: number;
  getContext(kind: '2d'): SKRSContext2D;
}

export interface FigureSpec {
  width: number;
  height: number;
  title: string;
  kind: WrittenFigure['kind'];
  /** also write the vector formats (false for pixel images: a PNG is exact there) */
  vector?: boolean;
}

/** What a draw function may report back: chart.js's layout boxes and shapes text must not cover. */
export interface DrawResult {
  boxes?: ChartBox[];
  /** called once the drawing is saved (chart.js's destroy() clears the canvas) */
  release?: () => void;
}

/** A PDF page's context with a `canvas` that chart.js can read its size from. */
function pdfTarget(width: number, height: number): { target: DrawTarget; finish(): Buffer } {
  const doc = new PDFDocument({ creator: 'tfjs-deep-learning-course', producer: 'Skia/PDF via @napi-rs/canvas' });
  const raw = doc.beginPage(width, height) as unknown as SKRSContext2D;
  const target = { width, height, style: {} } as DrawTarget & { style: object };
  // chart.js reads ctx.canvas; a PDF page's context has none, so answer for it
  const ctx = new Proxy(raw, {
    get(t, p) {
      if (p === 'canvas') return target;
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
    set: (t, p, v) => Reflect.set(t, p, v, t),
  });
  target.getContext = () => ctx;
  return {
    target,
    finish: () => {
      doc.endPage();
      return doc.close();
    },
  };
}

/**
 * Draw a figure with `draw` on a PNG canvas (checking its layout), then again on each vector
 * format's canvas, write the files (PNG at `file`, the others beside it with their own
 * extension) and note the figure to the running report. Returns the PNG path.
 */
export function drawFigure(file: string, spec: FigureSpec, draw: (target: DrawTarget, record: LayoutRecord | null) => DrawResult | void): string {
  setUp();
  const png = createCanvas(spec.width, spec.height);
  const record = recordLayout(png.getContext('2d'));
  const result = draw(png as unknown as DrawTarget, record) ?? {};
  const problems = layoutProblems(record, spec.width, spec.height, result.boxes);
  writePng(file, png);
  result.release?.();
  const vector: string[] = [];
  if (spec.vector !== false) {
    const base = file.replace(/\.png$/i, '');
    for (const format of vectorFormats) {
      const out = `${base}.${format}`;
      if (format === 'svg') {
        // text as paths: the file then looks the same on machines without the DejaVu font
        const svg = createCanvas(spec.width, spec.height, SvgExportFlag.ConvertTextToPaths);
        const drawn = draw(svg as unknown as DrawTarget, null);
        writeFileSync(out, svg.getContent());
        drawn?.release?.();
      } else {
        const pdf = pdfTarget(spec.width, spec.height);
        const drawn = draw(pdf.target, null);
        writeFileSync(out, pdf.finish());
        drawn?.release?.();
      }
      vector.push(out);
    }
  }
  noteFigure({ file, vector, title: spec.title, kind: spec.kind, layoutProblems: problems });
  return file;
}

const whiteBackground: Plugin = {
  id: 'whiteBackground',
  beforeDraw(chart) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

/** chart.js's layout boxes of a drawn chart, for the layout check. */
function chartBoxes(chart: Chart): ChartBox[] {
  const boxes = (chart as unknown as { boxes: { id?: string; position?: string; left: number; top: number; right: number; bottom: number; options?: { display?: boolean } }[] }).boxes;
  return boxes
    .filter((b) => b.options?.display !== false && b.right > b.left && b.bottom > b.top)
    .map((b) => ({ what: `${b.id ?? b.position ?? 'layout'}`, left: b.left, top: b.top, right: b.right, bottom: b.bottom }));
}

export interface ChartMeta {
  title: string;
  kind: 'line' | 'bar';
}

/**
 * Render a Chart.js config to a PNG file (+ vector formats). `config` may be a function of the
 * layout record, for plugins that register obstacles (bars) for the check.
 */
export function renderChart(file: string, config: ChartConfiguration | ((record: LayoutRecord | null) => ChartConfiguration), width = 800, height = 450, meta?: ChartMeta): string {
  const titleOf = (c: ChartConfiguration) => {
    const t = c.options?.plugins?.title?.text;
    return Array.isArray(t) ? t.join(' ') : String(t ?? path.basename(file, '.png'));
  };
  const configFor = (record: LayoutRecord | null) => (typeof config === 'function' ? config(record) : config);
  const first = configFor(null);
  return drawFigure(file, { width, height, title: meta?.title ?? titleOf(first), kind: meta?.kind ?? (first.type === 'bar' ? 'bar' : 'line') }, (target, record) => {
    const c = configFor(record);
    const chart = new Chart(target as unknown as HTMLCanvasElement, {
      ...c,
      platform: BasicPlatform,
      plugins: [...(c.plugins ?? []), whiteBackground],
      options: { ...c.options, responsive: false, animation: false, devicePixelRatio: 1 },
    } as ChartConfiguration);
    return { boxes: chartBoxes(chart), release: () => chart.destroy() };
  });
}

/** A colour-blind-friendly palette (Okabe–Ito + extras). */
export const PALETTE = [
  '#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000',
  '#882255', '#44AA99',
];
export const color = (i: number): string => PALETTE[i % PALETTE.length]!;

/** Split `text` into lines no wider than `maxWidth` px in `font` (for titles that would be clipped). */
export function wrapText(text: string, font: string, maxWidth: number): string[] {
  setUp();
  const ctx = measureCtx();
  ctx.font = font;
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line} ${w}` : w;
    if (line && ctx.measureText(next).width > maxWidth) {
      lines.push(line);
      line = w;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

let measuring: SKRSContext2D | null = null;
/** A small context for measuring text before a figure is laid out. */
export function measureCtx(): SKRSContext2D {
  setUp();
  measuring ??= createCanvas(4, 4).getContext('2d');
  return measuring;
}
