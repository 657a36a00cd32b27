/**
 * report.md for every full run (`course train`): the run's numbers in tables a student can cite,
 * built from the metrics the exercise's train.ts returned, plus its plots. An exercise that
 * writes its own report.md (02's verdict) keeps it; this one is then written as numbers.md.
 *
 * Tables: a map of maps of numbers (e.g. {"25_per_class": {scratch: 0.61, …}}) becomes one
 * matrix (rows × columns); `{mean, std, n}` cells print as "mean ± std (n = N)"; other scalars
 * are listed by their path; long arrays (histories) are summarised by their last value.
 */
import path from 'node:path';

export interface Stat {
  mean: number;
  std: number;
  n: number;
}

/** Mean and sample standard deviation (n − 1; 0 for one value). */
export function meanStd(xs: number[]): Stat {
  const n = xs.length;
  const mean = n ? xs.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

function isStat(v: unknown): v is Stat {
  return !!v && typeof v === 'object' && typeof (v as Stat).mean === 'number' && typeof (v as Stat).std === 'number';
}

export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

export function cell(v: unknown): string {
  if (isStat(v)) return `${num(v.mean)} ± ${num(v.std)}${v.n ? ` (n = ${v.n})` : ''}`;
  if (typeof v === 'number') return num(v);
  if (typeof v === 'string') return v.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  if (typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) {
    return v.length <= 6 ? `[${v.map(num).join(', ')}]` : `last ${num(v[v.length - 1] as number)} (${v.length} values)`;
  }
  return '';
}

const scalar = (v: unknown) => cell(v) !== '' && !(Array.isArray(v) && v.length > 6);

/** {row: {col: scalar}} with ≥ 2 rows or ≥ 2 columns → a matrix table. */
function matrix(v: unknown): { rows: string[]; cols: string[]; get(r: string, c: string): unknown } | null {
  if (!v || typeof v !== 'object' || Array.isArray(v) || isStat(v)) return null;
  const rows = Object.entries(v as Record<string, unknown>);
  if (rows.length === 0 || !rows.every(([, r]) => r && typeof r === 'object' && !Array.isArray(r) && !isStat(r))) return null;
  const cols = [...new Set(rows.flatMap(([, r]) => Object.keys(r as object)))];
  if (!rows.every(([, r]) => Object.values(r as object).every(scalar))) return null;
  return { rows: rows.map(([k]) => k), cols, get: (r, c) => (v as Record<string, Record<string, unknown>>)[r]?.[c] };
}

export interface MetricsTable {
  caption: string;
  columns: string[];
  rows: string[][];
}

/**
 * Every number of a run's metrics as tables: the scalars by path in one, each map of maps (e.g.
 * accuracy by size and strategy) as its own matrix. `stepLog` (the per-step curves) is left out:
 * the figures show it.
 */
export function metricsTableBlocks(metrics: Record<string, unknown>): MetricsTable[] {
  const out: MetricsTable[] = [];
  const loose: [string, unknown][] = [];
  const walk = (prefix: string, value: unknown, depth: number) => {
    const m = matrix(value);
    if (m && depth > 0) {
      out.push({ caption: prefix, columns: ['', ...m.cols], rows: m.rows.map((r) => [r, ...m.cols.map((c) => cell(m.get(r, c)))]) });
      return;
    }
    if (value && typeof value === 'object' && !Array.isArray(value) && !isStat(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (!(depth === 0 && ['stepLog', 'plots', 'samples'].includes(k))) walk(prefix ? `${prefix} › ${k}` : k, v, depth + 1);
      return;
    }
    if (scalar(value) || (Array.isArray(value) && cell(value))) loose.push([prefix, value]);
  };
  walk('', metrics, 0);
  if (loose.length > 0) out.unshift({ caption: 'scalars', columns: ['metric', 'value'], rows: loose.map(([k, v]) => [k, cell(v)]) });
  return out;
}

/** The same tables as Markdown lines. */
export function metricsTables(metrics: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const t of metricsTableBlocks(metrics)) {
    if (t.caption !== 'scalars') lines.push(`### ${t.caption}`, '');
    const header = t.caption === 'scalars' ? t.columns : ['', ...t.columns.slice(1)];
    lines.push(`| ${header.join(' | ')} |`.replace('|  |', '| |'), `|${header.map(() => '---').join('|')}|`);
    for (const r of t.rows) lines.push(`| ${r.join(' | ')} |`);
    lines.push('');
  }
  return lines;
}
