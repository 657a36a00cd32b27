/**
 * The numbers an exercise README states about grading come from its rubric: the heading
 * `## Tasks (N points)` says the rubric's total and the task table right under it gives each
 * task's points (the first number of its points cell). A rubric edit that forgets the README
 * fails here, naming the README line to change.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { listExercises, ROOT } from '../../lib/exercises.js';
import { loadRubric } from '../../lib/grader/rubric.js';

export interface ReadmeTasks {
  total?: number;
  /** task number → points, from the table rows under the heading */
  perTask: Map<number, number>;
}

/** The `## Tasks (N points)` heading and the task table below it (up to the next `## `). */
export function readmeTasks(markdown: string): ReadmeTasks {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => /^## Tasks\b/.test(l));
  const perTask = new Map<number, number>();
  if (at < 0) return { perTask };
  const total = /^## Tasks \((\d+) points?\)\s*$/.exec(lines[at]!)?.[1];
  for (const l of lines.slice(at + 1)) {
    if (/^## /.test(l)) break;
    // "| 1 | 8 | …" or "| 1. Vocabulary and windows | 12 | …"
    const row = /^\|\s*(\d+)(?:\.[^|]*|\s*)\|\s*(\d+)\b[^|]*\|/.exec(l);
    if (row) perTask.set(Number(row[1]), Number(row[2]));
  }
  return { total: total === undefined ? undefined : Number(total), perTask };
}

export function rubricTasks(exercise: string): { total: number; perTask: Map<number, number> } {
  const perTask = new Map<number, number>();
  let total = 0;
  for (const t of loadRubric(path.join(ROOT, 'test', `${exercise}.rubric.json`)).tests) {
    total += t.points;
    perTask.set(t.task ?? 0, (perTask.get(t.task ?? 0) ?? 0) + t.points);
  }
  return { total, perTask };
}

describe('exercise READMEs state the rubric points', () => {
  test('the parser reads both table styles and rejects a heading without a total', () => {
    const md = ['## Tasks (12 points)', '', '| # | points | x |', '|---|---:|---|', '| 1 | 8 | a |', '| 2. Model | 4 (incl. 1 bonus) | b |', '', '## Next', '| 3 | 99 | not a task row |'].join('\n');
    expect(readmeTasks(md)).toEqual({ total: 12, perTask: new Map([[1, 8], [2, 4]]) });
    expect(readmeTasks('## Tasks (31 points + 1 bonus)\n| 1 | 3 | a |').total).toBeUndefined();
    expect(readmeTasks('# no tasks here').perTask.size).toBe(0);
  });

  for (const ex of listExercises()) {
    test(`${ex.id}: "## Tasks (N points)" and the per-task table match test/${ex.id}.rubric.json`, () => {
      const file = path.join(ROOT, 'exercises', ex.id, 'README.md');
      const readme = readmeTasks(fs.readFileSync(file, 'utf8'));
      const rubric = rubricTasks(ex.id);
      expect(readme.total, `${file}: the heading must read "## Tasks (${rubric.total} points)"`).toBe(rubric.total);
      expect(Object.fromEntries(readme.perTask), `${file}: the task table's points column (first number of each row)`).toEqual(Object.fromEntries(rubric.perTask));
    });
  }
});
