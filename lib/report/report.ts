/**
 * The lab-report draft every `course train` writes (report.md and report.html): a train.ts tells
 * its story top to bottom with figures (each with a caption that says what to look for), tables
 * and conclusions computed from the run; the CLI adds what the run wrote but the story did not
 * place (other figures, per-step curves of every training loop, every number of metrics.json).
 *
 *   const report = reportOf(opts);
 *   report.section('Learning curves');
 *   report.figure(png, 'Training loss per step … Look for: the gap between the two curves.');
 *   report.table({ caption: 'Final numbers', columns: ['model', 'loss'], rows: [['LSTM', 1.52]] });
 *   report.conclusion(`LSTM reached ${loss.toFixed(2)} nats/char, ${gap} below the unigram baseline.`);
 *
 * The same blocks render as Markdown (toMarkdown) and as a self-contained HTML page (html.ts).
 */
import path from 'node:path';
import type { TrainOptions } from '../exercises.js';

export type Cell = string | number | null;

export type Block =
  | { kind: 'heading'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'figure'; file: string; caption: string }
  /** images side by side (e.g. samples after each epoch), one caption */
  | { kind: 'strip'; files: string[]; labels: string[]; caption: string }
  | { kind: 'table'; caption: string; columns: string[]; rows: Cell[][] }
  /** preformatted text (generated text samples), with a caption */
  | { kind: 'code'; caption: string; text: string }
  | { kind: 'list'; items: string[] };

export interface ReportMeta {
  title: string;
  /** one line under the title: code, backend, seed, epochs, time */
  subtitle?: string;
}

/** 0.12345 → "0.1235", 12345.6 → "1.235e+4", integers as they are */
export function formatCell(v: Cell): string {
  if (v === null) return '—';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

export class Report {
  meta: ReportMeta;
  readonly blocks: Block[] = [];
  readonly conclusions: string[] = [];
  /** blocks from here on are the appendix (the CLI's additions): the conclusions come before it */
  appendixAt: number | null = null;

  constructor(meta: ReportMeta = { title: 'Run report' }) {
    this.meta = meta;
  }

  section(title: string): this {
    this.blocks.push({ kind: 'heading', text: title });
    return this;
  }

  /** A paragraph; `code`, **bold** and *emphasis* as in Markdown. */
  text(paragraph: string): this {
    this.blocks.push({ kind: 'text', text: paragraph });
    return this;
  }

  /** A figure (the PNG lib/plot returned) and a caption that says what to look for. */
  figure(file: string, caption: string): this {
    this.blocks.push({ kind: 'figure', file, caption });
    return this;
  }

  /** Images side by side, e.g. the samples after each epoch, with a label under each. */
  strip(files: string[], caption: string, labels: string[] = files.map((f) => path.basename(f, '.png'))): this {
    if (files.length) this.blocks.push({ kind: 'strip', files, labels, caption });
    return this;
  }

  table(t: { caption: string; columns: string[]; rows: Cell[][] }): this {
    this.blocks.push({ kind: 'table', ...t });
    return this;
  }

  code(caption: string, text: string): this {
    this.blocks.push({ kind: 'code', caption, text });
    return this;
  }

  list(items: string[]): this {
    if (items.length) this.blocks.push({ kind: 'list', items });
    return this;
  }

  /** A conclusion drawn from this run's numbers (listed together under "Conclusions"). */
  conclusion(sentence: string): this {
    this.conclusions.push(sentence);
    return this;
  }

  /** What follows is appendix material (figures the story did not place, every number). */
  beginAppendix(): this {
    this.appendixAt ??= this.blocks.length;
    return this;
  }

  /** Every image file the report shows (figures and strips). */
  placedFiles(): string[] {
    return this.blocks.flatMap((b) => (b.kind === 'figure' ? [b.file] : b.kind === 'strip' ? b.files : []));
  }

  get figureCount(): number {
    return this.blocks.filter((b) => b.kind === 'figure' || b.kind === 'strip').length;
  }

  get tableCount(): number {
    return this.blocks.filter((b) => b.kind === 'table').length;
  }
}

/** The report a train.ts writes into: the CLI's (opts.report), or a throwaway one when called directly. */
export function reportOf(opts: Pick<TrainOptions, 'report'>): Report {
  return opts.report ?? new Report();
}
