/**
 * The layout check every figure goes through: is any text clipped by the canvas edge, or drawn
 * over other text or over a bar? Every `fillText` on the canvas is recorded with its real box
 * (measureText's actual bounding box under the current transform, so rotated labels are
 * rotated boxes), and chart.js's own layout boxes (title, legend, axes) are checked against the
 * canvas. A figure with problems is still written; `course train` prints them and the tests fail
 * on them.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';

type Point = [number, number];
/** four corners, in order around the box */
export type Quad = [Point, Point, Point, Point];

export interface LayoutRecord {
  texts: { text: string; quad: Quad }[];
  /** drawn shapes that text must not cover (bars), with a name for the message */
  obstacles: { what: string; quad: Quad }[];
}

export function rectQuad(left: number, top: number, right: number, bottom: number): Quad {
  return [
    [left, top],
    [right, top],
    [right, bottom],
    [left, bottom],
  ];
}

/** The box `text` occupies when drawn at (x, y) with ctx's current font, alignment and transform. */
export function textQuad(ctx: SKRSContext2D, text: string, x: number, y: number, maxWidth?: number): Quad {
  const m = ctx.measureText(text);
  // maxWidth squeezes the text horizontally around its alignment point
  const squeeze = maxWidth !== undefined && m.width > maxWidth && maxWidth > 0 ? maxWidth / m.width : 1;
  const left = x - m.actualBoundingBoxLeft * squeeze;
  const right = x + m.actualBoundingBoxRight * squeeze;
  const top = y - m.actualBoundingBoxAscent;
  const bottom = y + m.actualBoundingBoxDescent;
  const t = ctx.getTransform();
  const map = ([px, py]: Point): Point => [t.a * px + t.c * py + t.e, t.b * px + t.d * py + t.f];
  return rectQuad(left, top, right, bottom).map(map) as Quad;
}

/** Record every fillText/strokeText drawn on `ctx` from now on (the context is patched in place). */
export function recordLayout(ctx: SKRSContext2D): LayoutRecord {
  const record: LayoutRecord = { texts: [], obstacles: [] };
  for (const name of ['fillText', 'strokeText'] as const) {
    const original = ctx[name].bind(ctx) as (text: string, x: number, y: number, maxWidth?: number) => void;
    (ctx as unknown as Record<string, unknown>)[name] = (text: string, x: number, y: number, maxWidth?: number) => {
      const s = String(text);
      // strokeText is an outline of a fillText at the same place: record the text once
      if (s.trim() !== '' && name === 'fillText') record.texts.push({ text: s, quad: textQuad(ctx, s, x, y, maxWidth) });
      return maxWidth === undefined ? original(text, x, y) : original(text, x, y, maxWidth);
    };
  }
  return record;
}

function project(q: Quad, axis: Point): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const [x, y] of q) {
    const p = x * axis[0] + y * axis[1];
    lo = Math.min(lo, p);
    hi = Math.max(hi, p);
  }
  return [lo, hi];
}

/** Whether two convex quads overlap by more than `slack` pixels (separating-axis test). */
export function quadsOverlap(a: Quad, b: Quad, slack = 1): boolean {
  for (const q of [a, b]) {
    for (let i = 0; i < 4; i++) {
      const [x1, y1] = q[i]!;
      const [x2, y2] = q[(i + 1) % 4]!;
      const len = Math.hypot(x2 - x1, y2 - y1);
      if (len === 0) continue;
      const axis: Point = [-(y2 - y1) / len, (x2 - x1) / len];
      const [alo, ahi] = project(a, axis);
      const [blo, bhi] = project(b, axis);
      if (ahi - slack <= blo || bhi - slack <= alo) return false;
    }
  }
  return true;
}

const quote = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 37)}…` : s);

/** Layout boxes chart.js reports (title, legend, scales): each must lie inside the canvas. */
export interface ChartBox {
  what: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Every problem of a drawn figure: text outside the canvas, text over text, text over a bar, a chart box outside. */
export function layoutProblems(record: LayoutRecord, width: number, height: number, boxes: ChartBox[] = []): string[] {
  const problems: string[] = [];
  const tol = 0.5;
  for (const { text, quad } of record.texts) {
    const xs = quad.map((p) => p[0]);
    const ys = quad.map((p) => p[1]);
    const sides = [
      Math.min(...xs) < -tol && 'left',
      Math.max(...xs) > width + tol && 'right',
      Math.min(...ys) < -tol && 'top',
      Math.max(...ys) > height + tol && 'bottom',
    ].filter(Boolean);
    if (sides.length) problems.push(`text ${quote(text)} is clipped at the ${sides.join(' and ')} edge`);
  }
  const texts = record.texts;
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      if (quadsOverlap(texts[i]!.quad, texts[j]!.quad)) problems.push(`text ${quote(texts[i]!.text)} overlaps ${quote(texts[j]!.text)}`);
    }
    for (const o of record.obstacles) {
      if (quadsOverlap(texts[i]!.quad, o.quad, 1.5)) problems.push(`text ${quote(texts[i]!.text)} is drawn over ${o.what}`);
    }
  }
  for (const b of boxes) {
    if (b.left < -tol || b.top < -tol || b.right > width + tol || b.bottom > height + tol) {
      problems.push(`chart.js ${b.what} box [${[b.left, b.top, b.right, b.bottom].map((v) => v.toFixed(0)).join(', ')}] leaves the ${width}×${height} canvas`);
    }
  }
  return problems;
}
