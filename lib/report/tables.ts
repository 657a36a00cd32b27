/**
 * Tables a report builds from a run's curves: one row per epoch (at most `maxRows`, evenly
 * spaced, always the first and the last), columns chosen by key.
 */
import type { Cell } from './report.js';
import type { CurveData } from './step-log.js';

export interface EpochColumn {
  /** a key of the curve's epoch values */
  key: string;
  label: string;
  /** how to print it (default: the number itself) */
  format?: (v: number) => Cell;
}

/**
 * Which epoch indices (0-based) to show: all when there are at most `maxRows`, else the first,
 * every k-th (k a round number: 2, 5, 10, 20, 25, 50, …) and the last.
 */
export function epochRows(epochs: number, maxRows: number): number[] {
  if (epochs <= maxRows) return Array.from({ length: epochs }, (_, i) => i);
  const nice = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000];
  const k = nice.find((s) => epochs / s <= maxRows - 1) ?? Math.ceil(epochs / (maxRows - 1));
  const rows = new Set<number>([0]);
  for (let e = k; e <= epochs; e += k) rows.add(e - 1);
  rows.add(epochs - 1);
  return [...rows].sort((a, b) => a - b);
}

export function epochTable(curve: CurveData, columns: EpochColumn[], maxRows = 12): { columns: string[]; rows: Cell[][]; note: string } {
  const n = curve.epochSteps.length;
  const picked = epochRows(n, maxRows);
  const rows = picked.map((e) => [e + 1, ...columns.map((c) => {
    const v = curve.epochs[c.key]?.[e];
    return v === undefined || !Number.isFinite(v) ? null : c.format ? c.format(v) : v;
  })]);
  return { columns: ['epoch', ...columns.map((c) => c.label)], rows, note: picked.length < n ? ` (${picked.length} of ${n} epochs shown; metrics.json has every one)` : '' };
}

export const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;
