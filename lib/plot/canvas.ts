/**
 * Canvas + Chart.js set-up shared by every plot: a bundled font (machines without system fonts
 * otherwise render charts with no text at all), BasicPlatform (no DOM), no animation, a white
 * background, and PNG output.
 */
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCanvas, GlobalFonts, type Canvas } from '@napi-rs/canvas';
import { BasicPlatform, Chart, registerables, type ChartConfiguration, type Plugin } from 'chart.js';

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

export function newCanvas(width: number, height: number): Canvas {
  setUp();
  return createCanvas(width, height);
}

export function writePng(file: string, canvas: Canvas): string {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, canvas.toBuffer('image/png'));
  return file;
}

/** Render a Chart.js config to a PNG file. */
export function renderChart(file: string, config: ChartConfiguration, width = 800, height = 450): string {
  const canvas = newCanvas(width, height);
  const chart = new Chart(canvas as unknown as HTMLCanvasElement, {
    ...config,
    platform: BasicPlatform,
    plugins: [...(config.plugins ?? []), whiteBackground],
    options: { ...config.options, responsive: false, animation: false, devicePixelRatio: 1 },
  } as ChartConfiguration);
  try {
    return writePng(file, canvas);
  } finally {
    chart.destroy();
  }
}

/** A colour-blind-friendly palette (Okabe–Ito + extras). */
export const PALETTE = [
  '#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000',
  '#882255', '#44AA99',
];
export const color = (i: number): string => PALETTE[i % PALETTE.length]!;
