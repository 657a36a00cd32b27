/**
 * `course hint <ex>`: the tasks, their hint levels and where you are (from the last grade);
 * `course hint <ex> <task> [level]`: one hint (level 1 by default). The logic is in lib/hints.ts.
 */
import path from 'node:path';
import { CourseError } from '../errors.js';
import { REPORTS_DIR, getExercise } from '../exercises.js';
import { LEVELS, lastProgress, loadHints, renderHint } from '../hints.js';

const LEVEL_NAMES = ['a nudge towards the idea', 'the approach and the API', 'the key line of reasoning'];

function whole(arg: string, what: string, max: number, fix: string): number {
  const n = Number(arg);
  if (!/^\d+$/.test(arg) || n < 1 || n > max) throw new CourseError(`${what} "${arg}" does not exist`, fix);
  return n;
}

export async function hintCommand(argv: string[], gradeDir = path.join(REPORTS_DIR, 'grade')): Promise<number> {
  const [name, taskArg, levelArg, ...rest] = argv;
  if (!name || rest.length) throw new CourseError('`course hint` needs an exercise, then optionally a task and a level', 'e.g. `course hint 03-char-rnn` (overview) or `course hint 03-char-rnn 2 1`');
  const ex = getExercise(name);
  const tasks = loadHints(ex.exerciseDir);

  if (taskArg === undefined) {
    const progress = lastProgress(ex.id, gradeDir);
    console.log(`${ex.id}: ${LEVELS} hints per task — ${LEVEL_NAMES.map((n, i) => `${i + 1} ${n}`).join(', ')}.\n`);
    const width = Math.max(...tasks.map((t) => t.title.length));
    for (const t of tasks) {
      const p = progress?.tasks.get(t.task);
      const score = p ? `${p.points}/${p.max} points${p.failed ? `, ${p.failed} of ${p.total} tests failing` : ', all tests pass'}` : '';
      const mark = progress?.firstFailing === t.task ? '  ← you are here' : '';
      console.log(`  task ${t.task}  ${t.title.padEnd(width)}  ${score}${mark}`.trimEnd());
    }
    console.log('');
    if (!progress) {
      console.log(`No grade results yet: run \`course grade --only ${ex.id}\` first to see which task fails.`);
      console.log(`Then: course hint ${ex.id} <task> [level]   (e.g. course hint ${ex.id} 1)`);
    } else if (progress.firstFailing === undefined) {
      console.log(`Every graded test of ${ex.id} passed in the last grade (${path.relative(process.cwd(), progress.file)}).`);
    } else {
      console.log(`From the last grade (${path.relative(process.cwd(), progress.file)}): task ${progress.firstFailing} is the first with a failing test.`);
      console.log(`next: course hint ${ex.id} ${progress.firstFailing}      (level 1; add 2 or 3 for more)`);
    }
    return 0;
  }

  const task = whole(taskArg, 'task', tasks.length, `${ex.id} has tasks 1 to ${tasks.length}: \`course hint ${ex.id}\` lists them`);
  const level = levelArg === undefined ? 1 : whole(levelArg, `hint level`, LEVELS, `use a level from 1 to ${LEVELS}`);
  const t = tasks[task - 1]!;
  console.log(`${ex.id} · task ${task} — ${t.title} · level ${level} of ${LEVELS} (${LEVEL_NAMES[level - 1]})\n`);
  console.log(renderHint(t.levels[level - 1]!));
  if (level < LEVELS) console.log(`\n(more concrete: course hint ${ex.id} ${task} ${level + 1})`);
  else if (task < tasks.length) console.log(`\n(that was the last level; next task: course hint ${ex.id} ${task + 1})`);
  return 0;
}
