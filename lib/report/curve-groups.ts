/**
 * Which of a curve's series belong on one chart: a value and its validation/test twin ("loss",
 * "val_loss", "batch_loss"), each other key alone. Used wherever curves are drawn without an
 * exercise's own composition: the report's "every training loop" section, the live page,
 * `course plot` and `course compare`.
 */
import type { CurveSeries } from '../plot/curves.js';
import type { CurveData } from './step-log.js';

const PREFIX = /^(val|validation|test|train|training|batch)[_ ]/i;

/** "val_loss" → "loss", "batch_loss" → "loss", "acc" → "acc" */
export function baseKey(key: string): string {
  return key.replace(PREFIX, '');
}

const role = (key: string) => (/^(val|validation|test)[_ ]/i.test(key) ? 'validation' : /^batch[_ ]/i.test(key) ? 'batch' : 'train');

export interface CurveGroup {
  /** the shared base key, e.g. "loss" */
  name: string;
  series: CurveSeries[];
}

/**
 * One group per base key, in order of first appearance: per-step series (smoothed) and the
 * per-epoch series that have no per-step twin (validation, whole-set evaluations), each labelled
 * `${label}${role}` (e.g. "lstm: validation").
 */
export function curveGroups(curve: CurveData, label = ''): CurveGroup[] {
  const groups = new Map<string, CurveSeries[]>();
  const add = (key: string, s: CurveSeries) => {
    const g = groups.get(baseKey(key)) ?? [];
    g.push(s);
    groups.set(baseKey(key), g);
  };
  const prefix = label ? `${label}: ` : '';
  for (const key of Object.keys(curve.steps)) add(key, { label: `${prefix}${key}`, curve, key });
  for (const key of Object.keys(curve.epochs)) {
    // an epoch mean of a per-step value adds nothing to the per-step line
    if (key in curve.steps) continue;
    add(key, { label: `${prefix}${key}${role(key) === 'validation' ? '' : ' (epoch)'}`, curve, key, per: 'epoch' });
  }
  return [...groups].map(([name, series]) => ({ name, series }));
}
