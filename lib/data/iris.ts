/** Fisher's Iris data from data/iris.csv: 150 flowers, 4 measurements (cm), 3 species. */
import { readFileSync } from 'node:fs';
import { CourseError } from '../errors.js';
import { RESTORE_HINT, dataFile } from './paths.js';

export interface IrisData {
  features: number[][];
  labels: number[];
  featureNames: string[];
  classNames: string[];
}

const HEADER = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'species'];
const CLASS_NAMES = ['setosa', 'versicolor', 'virginica'];
const ROWS = 150;

export function loadIris(): IrisData {
  const file = dataFile('iris.csv');
  return parseIrisCsv(readFileSync(file, 'utf8'), file);
}

/** Parses and validates the CSV text (exported so tests can feed it damaged copies). */
export function parseIrisCsv(text: string, file: string): IrisData {
  const lines = text.replace(/\r\n?/g, '\n').trimEnd().split('\n');
  const bad = (where: string, problem: string): CourseError => new CourseError(`${file} ${where}: ${problem}`, RESTORE_HINT);

  if (lines[0] !== HEADER.join(',')) throw bad('line 1', `header is '${lines[0]}', expected '${HEADER.join(',')}'`);
  const rows = lines.slice(1);
  if (rows.length !== ROWS) throw bad('(whole file)', `has ${rows.length} data rows, expected ${ROWS}`);

  const features: number[][] = [];
  const labels: number[] = [];
  rows.forEach((line, i) => {
    const where = `line ${i + 2}`;
    const cells = line.split(',');
    if (cells.length !== HEADER.length) throw bad(where, `has ${cells.length} fields, expected ${HEADER.length}`);
    const nums = cells.slice(0, 4).map(Number);
    const nonNumeric = nums.findIndex((v, j) => cells[j]!.trim() === '' || !Number.isFinite(v));
    if (nonNumeric >= 0) throw bad(where, `${HEADER[nonNumeric]} '${cells[nonNumeric]}' is not a number`);
    const label = CLASS_NAMES.indexOf(cells[4]!.trim());
    if (label < 0) throw bad(where, `unknown species '${cells[4]}' (expected ${CLASS_NAMES.join(', ')})`);
    features.push(nums);
    labels.push(label);
  });
  return { features, labels, featureNames: HEADER.slice(0, 4), classNames: CLASS_NAMES.slice() };
}
