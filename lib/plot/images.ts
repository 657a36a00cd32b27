/**
 * Pixel plots drawn straight onto a canvas: image grids (generated samples), heat maps
 * (confusion matrices) and 2-D decision regions.
 */
import * as tf from '@tensorflow/tfjs';
import type { SKRSContext2D } from '@napi-rs/canvas';
import { CourseError } from '../errors.js';
import { FONT_FAMILY, color, drawFigure, newCanvas } from './canvas.js';

export interface RawImages {
  data: Float32Array;
  n: number;
  h: number;
  w: number;
  c: number;
}

export interface ImageGridOptions {
  cols?: number;
  labels?: string[];
  title?: string;
  /** value range mapped to black..white; default [0,1] ([-1,1] for tanh generators) */
  range?: [number, number];
  /** pixel size of one cell */
  cell?: number;
}

function toRaw(images: tf.Tensor4D | RawImages): RawImages {
  if (images instanceof tf.Tensor) {
    if (images.rank !== 4) {
      throw new CourseError(`imageGrid needs a [n,h,w,c] tensor, got shape [${images.shape}]`, 'reshape to [n,h,w,1] (or 3 channels)');
    }
    const [n, h, w, c] = images.shape;
    return { data: images.dataSync() as Float32Array, n, h, w, c };
  }
  return images;
}

/** A centred bold title, its font shrunk (to 11 px at least) until it fits the width. */
function title(ctx: SKRSContext2D, text: string, width: number): void {
  ctx.fillStyle = '#111';
  let size = 16;
  ctx.font = `bold ${size}px "${FONT_FAMILY}"`;
  while (size > 11 && ctx.measureText(text).width > width - 12) ctx.font = `bold ${--size}px "${FONT_FAMILY}"`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, width / 2, 16);
}

/** Tile n images into a grid PNG. */
export function imageGrid(file: string, images: tf.Tensor4D | RawImages, o: ImageGridOptions = {}): string {
  const { data, n, h, w, c } = toRaw(images);
  if (c !== 1 && c !== 3) throw new CourseError(`imageGrid supports 1 or 3 channels, got ${c}`, 'pass grey or RGB images');
  const cols = o.cols ?? Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const cell = o.cell ?? Math.max(h * 2, 56);
  const pad = 4;
  const labelH = o.labels ? 16 : 0;
  const top = o.title ? 32 : 0;
  const W = cols * (cell + pad) + pad;
  const H = top + rows * (cell + pad + labelH) + pad;
  // pixels are the content: PNG only (a vector copy would embed the same pixels)
  return drawFigure(file, { width: W, height: H, title: o.title ?? 'image grid', kind: 'images', vector: false }, (target) => {
    const ctx = target.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, H);
    if (o.title) title(ctx, o.title, W);
    const [lo, hi] = o.range ?? [0, 1];
    const scale = 255 / (hi - lo || 1);
    const img = ctx.createImageData(w, h);
    const tile = newCanvas(w, h);
    const tctx = tile.getContext('2d');
    for (let k = 0; k < n; k++) {
      for (let p = 0; p < h * w; p++) {
        for (let ch = 0; ch < 3; ch++) {
          const v = data[(k * h * w + p) * c + (c === 1 ? 0 : ch)]!;
          img.data[p * 4 + ch] = Math.max(0, Math.min(255, Math.round((v - lo) * scale)));
        }
        img.data[p * 4 + 3] = 255;
      }
      tctx.putImageData(img, 0, 0);
      const x = pad + (k % cols) * (cell + pad);
      const y = top + pad + Math.floor(k / cols) * (cell + pad + labelH);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(tile, x, y, cell, cell);
      if (o.labels?.[k] !== undefined) {
        ctx.fillStyle = '#111';
        ctx.font = `11px "${FONT_FAMILY}"`;
        ctx.textAlign = 'center';
        ctx.textBaseline = 'top';
        ctx.fillText(o.labels[k]!, x + cell / 2, y + cell + 2, cell);
      }
    }
  });
}

export interface HeatmapOptions {
  title: string;
  matrix: number[][];
  rowLabels: string[];
  colLabels: string[];
  xLabel: string;
  yLabel: string;
}

/** A labelled heat map with the value in each cell (e.g. a confusion matrix). */
export function heatmap(file: string, o: HeatmapOptions): string {
  const rows = o.matrix.length;
  const cols = o.matrix[0]?.length ?? 0;
  const cell = Math.max(36, Math.min(70, Math.floor(600 / Math.max(rows, cols))));
  const left = 140;
  const top = 50;
  // wide enough for the title too (≈10 px per bold 16 px character)
  const W = Math.max(left + cols * cell + 30, o.title.length * 10 + 40);
  const H = top + rows * cell + 120;
  return drawFigure(file, { width: W, height: H, title: o.title, kind: 'heatmap' }, (target) => {
    const ctx = target.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, H);
    title(ctx, o.title, W);
    const max = Math.max(1e-12, ...o.matrix.flat());
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = o.matrix[r]![c]!;
        const t = v / max;
        // white → dark blue
        const R = Math.round(255 - t * (255 - 8));
        const G = Math.round(255 - t * (255 - 48));
        const B = Math.round(255 - t * (255 - 107));
        ctx.fillStyle = `rgb(${R},${G},${B})`;
        ctx.fillRect(left + c * cell, top + r * cell, cell - 1, cell - 1);
        ctx.fillStyle = t > 0.5 ? '#fff' : '#111';
        ctx.font = `12px "${FONT_FAMILY}"`;
        const text = Number.isInteger(v) ? String(v) : v.toFixed(2);
        ctx.fillText(text, left + c * cell + cell / 2, top + r * cell + cell / 2);
      }
    }
    ctx.fillStyle = '#111';
    ctx.font = `12px "${FONT_FAMILY}"`;
    ctx.textAlign = 'right';
    o.rowLabels.forEach((l, r) => ctx.fillText(l, left - 6, top + r * cell + cell / 2, left - 10));
    ctx.save();
    o.colLabels.forEach((l, c) => {
      ctx.save();
      ctx.translate(left + c * cell + cell / 2, top + rows * cell + 6);
      ctx.rotate(-Math.PI / 4);
      ctx.textAlign = 'right';
      ctx.fillText(l, 0, 0);
      ctx.restore();
    });
    ctx.restore();
    ctx.font = `bold 13px "${FONT_FAMILY}"`;
    ctx.textAlign = 'center';
    ctx.fillText(o.xLabel, left + (cols * cell) / 2, H - 14);
    ctx.save();
    ctx.translate(14, top + (rows * cell) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(o.yLabel, 0, 0);
    ctx.restore();
  });
}

export interface DecisionRegionOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  classNames: string[];
  /** classes[j][i] = predicted class at (xs[i], ys[j]) */
  grid: { xs: number[]; ys: number[]; classes: number[][] };
  points: { x: number; y: number; label: number }[];
}

function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** A 2-D grid coloured by predicted class, with the data points on top and a legend. */
export function decisionRegions(file: string, o: DecisionRegionOptions): string {
  const W = 760;
  const H = 560;
  const plot = { left: 80, top: 50, width: 520, height: 440 };
  const { xs, ys, classes } = o.grid;
  // the class map as one image, a pixel per grid cell (row 0 at the bottom): drawn scaled up, it
  // stays one embedded picture in the SVG/PDF instead of tens of thousands of rectangles
  const regions = newCanvas(xs.length, ys.length);
  const rctx = regions.getContext('2d');
  const img = rctx.createImageData(xs.length, ys.length);
  // blend with white ourselves: overlapping translucent cells would show seams
  const mix = (v: number) => Math.round(v * 0.3 + 255 * 0.7);
  for (let j = 0; j < ys.length; j++) {
    for (let i = 0; i < xs.length; i++) {
      const [r, g, b] = hexToRgb(color(classes[j]![i]!));
      const p = ((ys.length - 1 - j) * xs.length + i) * 4;
      img.data[p] = mix(r);
      img.data[p + 1] = mix(g);
      img.data[p + 2] = mix(b);
      img.data[p + 3] = 255;
    }
  }
  rctx.putImageData(img, 0, 0);
  return drawFigure(file, { width: W, height: H, title: o.title, kind: 'regions' }, (target) => {
    const ctx = target.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, W, H);
    title(ctx, o.title, W);
    const x0 = xs[0]!, x1 = xs[xs.length - 1]!, y0 = ys[0]!, y1 = ys[ys.length - 1]!;
    const px = (x: number) => plot.left + ((x - x0) / (x1 - x0 || 1)) * plot.width;
    const py = (y: number) => plot.top + plot.height - ((y - y0) / (y1 - y0 || 1)) * plot.height;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(regions, plot.left, plot.top, plot.width, plot.height);
    for (const p of o.points) {
      ctx.beginPath();
      ctx.arc(px(p.x), py(p.y), 4, 0, 2 * Math.PI);
      ctx.fillStyle = color(p.label);
      ctx.fill();
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 0.8;
      ctx.stroke();
    }
    // axes with 5 ticks each
    ctx.strokeStyle = '#333';
    ctx.strokeRect(plot.left, plot.top, plot.width, plot.height);
    ctx.fillStyle = '#222';
    ctx.font = `12px "${FONT_FAMILY}"`;
    for (let k = 0; k <= 4; k++) {
      const xv = x0 + ((x1 - x0) * k) / 4;
      const yv = y0 + ((y1 - y0) * k) / 4;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.fillText(xv.toFixed(1), px(xv), plot.top + plot.height + 6);
      ctx.textAlign = 'right';
      ctx.textBaseline = 'middle';
      ctx.fillText(yv.toFixed(1), plot.left - 6, py(yv));
    }
    ctx.font = `bold 13px "${FONT_FAMILY}"`;
    ctx.textAlign = 'center';
    ctx.fillText(o.xLabel, plot.left + plot.width / 2, H - 24);
    ctx.save();
    ctx.translate(24, plot.top + plot.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(o.yLabel, 0, 0);
    ctx.restore();
    // legend
    ctx.font = `12px "${FONT_FAMILY}"`;
    ctx.textAlign = 'left';
    o.classNames.forEach((name, k) => {
      const y = plot.top + 10 + k * 22;
      ctx.fillStyle = color(k);
      ctx.beginPath();
      ctx.arc(plot.left + plot.width + 24, y, 6, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillStyle = '#222';
      ctx.fillText(name, plot.left + plot.width + 36, y);
    });
  });
}
