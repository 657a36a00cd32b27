import { describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadImage, createCanvas } from '@napi-rs/canvas';
import { Chart } from 'chart.js';
import { GlobalFonts } from '@napi-rs/canvas';
import { FONT_FAMILY, barChart, decisionRegions, heatmap, imageGrid, lineChart } from '../../lib/plot/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'plot-test-'));

/** Decode a PNG and summarise its pixels. */
async function pixels(file: string) {
  const buf = readFileSync(file);
  expect(buf.subarray(1, 4).toString('latin1')).toBe('PNG');
  const img = await loadImage(buf);
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, img.width, img.height).data;
  const colours = new Set<number>();
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) {
    colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    if (data[i]! + data[i + 1]! + data[i + 2]! < 200) dark++;
  }
  return { width: img.width, height: img.height, colours: colours.size, dark, data, corner: [data[0], data[1], data[2]] };
}

describe('lib/plot renders PNGs', () => {
  test('line chart: size, white background, several colours', async () => {
    const f = lineChart(path.join(dir, 'line.png'), {
      title: 'Loss',
      xLabel: 'epoch',
      yLabel: 'loss',
      series: [
        { label: 'train', data: [1, 0.7, 0.5, 0.4] },
        { label: 'validation', data: [1.1, 0.8, 0.65, 0.6] },
      ],
    });
    const p = await pixels(f);
    expect([p.width, p.height]).toEqual([800, 450]);
    expect(p.corner).toEqual([255, 255, 255]);
    expect(p.colours).toBeGreaterThan(10);
  });

  test('text is drawn with the bundled font (a title adds dark pixels)', async () => {
    const base = { xLabel: '', yLabel: '', series: [{ label: 'a', data: [1, 2] }] };
    const without = await pixels(lineChart(path.join(dir, 'no-title.png'), { ...base, title: '' }));
    const withTitle = await pixels(lineChart(path.join(dir, 'title.png'), { ...base, title: 'A LONG TITLE WITH MANY LETTERS' }));
    // a 30-letter bold title adds hundreds of dark pixels; with no usable font it adds none
    expect(withTitle.dark - without.dark).toBeGreaterThan(300);
    // …and it is the bundled font, not whatever system font happens to be installed (this
    // machine has some, so the pixel check alone would pass with a fallback font)
    expect(Chart.defaults.font.family).toBe(FONT_FAMILY);
    expect(GlobalFonts.has(FONT_FAMILY)).toBe(true);
  });

  test('bar chart, heat map and decision regions are not blank', async () => {
    const bar = await pixels(
      barChart(path.join(dir, 'bar.png'), { title: 'Time', xLabel: 'act', yLabel: 's', labels: ['relu', 'tanh'], series: [{ label: 's', data: [1, 2] }] }),
    );
    const heat = await pixels(
      heatmap(path.join(dir, 'heat.png'), {
        title: 'Confusion',
        matrix: [
          [5, 1],
          [0, 7],
        ],
        rowLabels: ['a', 'b'],
        colLabels: ['a', 'b'],
        xLabel: 'predicted',
        yLabel: 'true',
      }),
    );
    const xs = [0, 1, 2, 3];
    const regions = await pixels(
      decisionRegions(path.join(dir, 'regions.png'), {
        title: 'Regions',
        xLabel: 'x',
        yLabel: 'y',
        classNames: ['a', 'b'],
        grid: { xs, ys: xs, classes: xs.map(() => xs.map((x) => (x < 2 ? 0 : 1))) },
        points: [{ x: 0.5, y: 1, label: 0 }],
      }),
    );
    for (const p of [bar, heat, regions]) {
      expect(p.colours).toBeGreaterThan(5);
      expect(p.dark).toBeGreaterThan(100);
    }
  });

  test('image grid maps the value range to grey levels', async () => {
    // 4 images: all -1 (black) and all +1 (white) alternating, tanh range
    const imgs = tf.tidy(() => tf.concat([tf.fill([1, 8, 8, 1], -1), tf.fill([1, 8, 8, 1], 1)]).tile([2, 1, 1, 1]) as tf.Tensor4D);
    const p = await pixels(imageGrid(path.join(dir, 'grid.png'), imgs, { cols: 2, range: [-1, 1], cell: 16 }));
    imgs.dispose();
    // first cell (black) starts at pad=4,4
    const at = (x: number, y: number) => Array.from(p.data.slice((y * p.width + x) * 4, (y * p.width + x) * 4 + 3));
    expect(at(8, 8)).toEqual([0, 0, 0]);
    expect(at(4 + 16 + 4 + 8, 8)).toEqual([255, 255, 255]);
  });

  test('image grid rejects a tensor of the wrong rank with a clear error', () => {
    const t = tf.zeros([8, 8]);
    expect(() => imageGrid(path.join(dir, 'bad.png'), t as unknown as tf.Tensor4D)).toThrow(/\[n,h,w,c\]/);
    t.dispose();
  });
});
