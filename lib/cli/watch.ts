/**
 * `course watch <exercise>`: the rustlings loop. Every time a file of the exercise folder is
 * saved, the tests of the first unfinished task run again (only those: seconds, not the whole
 * grade); when they pass, the next task's tests run at once. The screen shows per-task progress,
 * the first failing test with its feedback (file:line of a crash, see lib/grader/feedback.ts)
 * and the hint command for that task. A save during a check restarts it. Ctrl-C stops cleanly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { getExercise, resolveTarget } from '../exercises.js';
import { exerciseSpecs, gradeTarget } from '../grader/grade.js';
import { PROJECT_ROOT } from '../grader/runner.js';
import type { ExerciseGrade, GradedTest } from '../grader/types.js';
import type { WatchFlags } from './program.js';

export interface TaskCheck {
  task: number;
  grade: ExerciseGrade;
  seconds: number;
  aborted: boolean;
}

/** Runs the graded tests of one task of one exercise (what a save in `course watch` costs). */
export async function checkTask(o: { exercise: string; target: string; task: number; seed?: number; signal?: AbortSignal; testsDir?: string }): Promise<TaskCheck> {
  const t0 = Date.now();
  const report = await gradeTarget({
    target: o.target,
    only: [o.exercise],
    seed: o.seed ?? 1234,
    select: { tasks: [o.task] },
    testsDir: o.testsDir,
    log: () => {},
    runner: { signal: o.signal },
  });
  return { task: o.task, grade: report.exercises[0]!, seconds: (Date.now() - t0) / 1000, aborted: Boolean(o.signal?.aborted) };
}

interface TaskState {
  points: number;
  max: number;
  done: boolean;
  failing?: GradedTest;
  failed: number;
  total: number;
  loadError?: string;
  seconds: number;
}

/** A file an editor writes beside the real one (swap, backup, vim's 4913 probe) is not a save. */
export function isSourceChange(file: string | null): boolean {
  if (!file) return true;
  const base = path.basename(file);
  if (file.split(path.sep).includes('node_modules')) return false;
  return !(base.startsWith('.') || base.endsWith('~') || /\.(swp|swo|swx|tmp)$/.test(base) || base === '4913' || /^#.*#$/.test(base));
}

const CLEAR = '\x1b[2J\x1b[3J\x1b[H';

export async function watchCommand(name: string, flags: WatchFlags): Promise<number> {
  const ex = getExercise(name);
  const target = resolveTarget(flags.target ?? 'exercises');
  const folder = path.join(target, ex.id);
  if (!fs.existsSync(path.join(folder, 'index.ts'))) {
    throw new CourseError(`${path.relative(process.cwd(), folder) || folder} has no index.ts`, `copy the exercise folder there (from exercises/${ex.id}/) or pass --target with a folder holding ${ex.id}/`);
  }
  const { specs } = exerciseSpecs(ex.id, path.join(PROJECT_ROOT, 'test'));
  const tasks = [...new Set(specs.map((s) => s.task ?? 0))].sort((a, b) => a - b);
  const maxOf = (task: number) => specs.filter((s) => (s.task ?? 0) === task).reduce((n, s) => n + s.points, 0);
  const state = new Map<number, TaskState>();
  const tty = Boolean(process.stdout.isTTY);
  const shown = path.relative(process.cwd(), folder) || folder;
  let status = 'starting…';

  const render = () => {
    const out: string[] = [`course watch ${ex.id}   (${shown}/, Ctrl-C to stop)`, ''];
    const current = tasks.find((t) => !state.get(t)?.done);
    for (const t of tasks) {
      const s = state.get(t);
      const pts = s ? `${s.points}/${s.max}` : `?/${maxOf(t)}`;
      const what = !s ? '' : s.done ? 'done' : s.loadError ? 'does not load' : `${s.failed} of ${s.total} test(s) failing`;
      out.push(`  task ${t}  ${pts.padStart(7)}  ${what}${t === current ? '   ← working on this' : ''}`.trimEnd());
    }
    const sum = (f: (t: number) => number) => tasks.reduce((n, t) => n + f(t), 0);
    out.push('', `  points so far: ${sum((t) => state.get(t)?.points ?? 0)}/${sum(maxOf)}   ${status}`, '');
    const s = current !== undefined ? state.get(current) : undefined;
    if (current === undefined) {
      out.push(`Every task's tests pass. For the full grade (every task again): course grade --only ${ex.id}`);
    } else if (s?.loadError) {
      out.push(`The exercise does not load: ${s.loadError}`, '', `Stuck? course hint ${ex.id} ${current}`);
    } else if (s?.failing) {
      out.push(`First failing test (task ${current}):`, `  ${s.failing.name}`, `  → ${s.failing.feedback}`, '', `Stuck? course hint ${ex.id} ${current}`);
    }
    out.push(`Save any file in ${shown}/ to check again.`);
    process.stdout.write(`${tty ? CLEAR : '\n────────\n'}${out.join('\n')}\n`);
  };

  let running: AbortController | null = null;
  let pending = false;
  let stopped = false;

  const cycle = async (): Promise<void> => {
    pending = false;
    for (;;) {
      const task = tasks.find((t) => !state.get(t)?.done);
      if (task === undefined || stopped) break;
      status = `checking task ${task}…`;
      render();
      const ac = new AbortController();
      running = ac;
      let r: TaskCheck;
      try {
        r = await checkTask({ exercise: ex.id, target, task, seed: flags.seed, signal: ac.signal });
      } catch (err) {
        running = null;
        status = `could not check task ${task}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
        break;
      }
      running = null;
      if (r.aborted) return; // a newer save (it runs the next cycle) or Ctrl-C
      const failing = r.grade.tests.filter((t) => t.status === 'failed');
      state.set(task, {
        points: r.grade.score,
        max: r.grade.maxScore,
        done: failing.length === 0,
        failing: failing[0],
        failed: failing.length,
        total: r.grade.tests.length,
        loadError: r.grade.loadError,
        seconds: r.seconds,
      });
      status = `(task ${task} checked in ${r.seconds.toFixed(1)} s)`;
      if (failing.length > 0 || pending) break;
    }
    render();
  };

  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  const schedule = () => {
    pending = true;
    running?.abort();
    clearTimeout(timer);
    timer = setTimeout(() => {
      chain = chain.then(() => (stopped || !pending ? undefined : cycle()));
    }, flags.debounce ?? 200);
  };

  const watcher = fs.watch(folder, { recursive: true }, (_event, file) => {
    if (isSourceChange(file ? String(file) : null)) schedule();
  });
  chain = cycle();
  await new Promise<void>((resolve) => {
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      watcher.close();
      running?.abort();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await chain;
  process.stdout.write('\nstopped watching.\n');
  return 0;
}
