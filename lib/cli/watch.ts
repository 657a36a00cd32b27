/**
 * `course watch <exercise>`: the rustlings loop. Every time a file of the exercise folder is
 * saved, the tests of the first unfinished task run again (only those: seconds, not the whole
 * grade); when they pass, the next task's tests run at once. A save also makes every task whose
 * functions live in the saved file stale (watch-plan.ts): those marked done are re-checked in one
 * run, and until then the screen does not call them done — a bug saved into finished code shows
 * up without a `course grade`. The screen shows per-task progress, the first failing test with
 * its feedback (file:line of a crash, see lib/grader/feedback.ts) and the hint command for that
 * task. A save during a check cancels it at the next test and checks again. Ctrl-C stops cleanly.
 *
 * Checks run in a warm checker (warm.ts): one long-lived vitest with tfjs-node preloaded, so a
 * save costs the task's tests, not a new test process. It is the student's loop on their own
 * code, not a sandbox; `--no-warm` checks every save the graded (sandboxed, slow) way, and
 * `course grade` always does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { getExercise, resolveTarget } from '../exercises.js';
import { exerciseSpecs, gradeTarget } from '../grader/grade.js';
import { recordWatchCheck } from '../grader/history.js';
import { PROJECT_ROOT } from '../grader/runner.js';
import type { ExerciseGrade, GradedTest } from '../grader/types.js';
import type { WatchFlags } from './program.js';
import { WarmChecker } from './warm.js';
import { editedTasks, nextCheck, ownFunctions, shownDone, taskFunctions, tasksAffected } from './watch-plan.js';

export interface TaskCheck {
  task: number;
  grade: ExerciseGrade;
  seconds: number;
  aborted: boolean;
}

/** Runs the graded tests of one task (or several, in one run) of one exercise (what a save in `course watch` costs). */
export async function checkTask(o: { exercise: string; target: string; task: number | number[]; seed?: number; signal?: AbortSignal; testsDir?: string }): Promise<TaskCheck> {
  const t0 = Date.now();
  const tasks = Array.isArray(o.task) ? o.task : [o.task];
  const report = await gradeTarget({
    target: o.target,
    only: [o.exercise],
    seed: o.seed ?? 1234,
    select: { tasks },
    testsDir: o.testsDir,
    log: () => {},
    runner: { signal: o.signal },
  });
  return { task: tasks[0]!, grade: report.exercises[0]!, seconds: (Date.now() - t0) / 1000, aborted: Boolean(o.signal?.aborted) };
}

/** A check on the warm checker, in checkTask's shape. */
export async function warmCheck(warm: WarmChecker, tasks: number[], signal?: AbortSignal): Promise<TaskCheck> {
  const r = await warm.check(tasks, signal);
  return { task: tasks[0]!, grade: r.grade, seconds: r.seconds, aborted: r.aborted };
}

interface TaskState {
  points: number;
  max: number;
  done: boolean;
  /** saved since this result: it may be out of date and is not shown as done */
  stale: boolean;
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

/** One task's share of a check that may have covered several tasks. */
function taskState(r: TaskCheck, task: number, tasksInRun: number): TaskState {
  const tests = r.grade.tests.filter((t) => t.task === task);
  const failing = tests.filter((t) => t.status === 'failed');
  return {
    points: tests.reduce((n, t) => n + t.points, 0),
    max: tests.reduce((n, t) => n + t.maxPoints, 0),
    done: failing.length === 0 && !r.grade.loadError,
    stale: false,
    failing: failing[0],
    failed: failing.length,
    total: tests.length,
    loadError: r.grade.loadError,
    seconds: r.seconds / tasksInRun,
  };
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

  const fns = taskFunctions(specs);
  const own = ownFunctions(specs);
  // the last seen text of each source file: a save's edited functions are checked first
  const seen = new Map<string, string>();
  const read = (file: string) => {
    try {
      return fs.readFileSync(path.join(folder, file), 'utf8');
    } catch {
      return '';
    }
  };
  for (const f of fs.readdirSync(folder, { recursive: true }).map(String).filter((f) => /\.[cm]?[jt]sx?$/.test(f) && isSourceChange(f))) seen.set(f, read(f));
  const edited = new Set<number>();

  const render = () => {
    const out: string[] = [`course watch ${ex.id}   (${shown}/, Ctrl-C to stop)`, ''];
    const current = tasks.find((t) => !state.get(t)?.done);
    for (const t of tasks) {
      const s = state.get(t);
      // a stale result keeps its points on screen, but never the word "done"
      const pts = s ? `${s.stale ? '(' : ''}${s.points}/${s.max}${s.stale ? ')' : ''}` : `?/${maxOf(t)}`;
      const result = !s ? '' : s.done ? 'done' : s.loadError ? 'does not load' : `${s.failed} of ${s.total} test(s) failing`;
      const what = s?.stale ? `saved since — was: ${result}` : result;
      out.push(`  task ${t}  ${pts.padStart(7)}  ${what}${t === current ? '   ← working on this' : ''}`.trimEnd());
    }
    const sum = (f: (t: number) => number) => tasks.reduce((n, t) => n + f(t), 0);
    const fresh = (t: number) => (state.get(t)?.stale ? 0 : (state.get(t)?.points ?? 0));
    out.push('', `  points so far: ${sum(fresh)}/${sum(maxOf)}   ${status}`, '');
    const s = current !== undefined ? state.get(current) : undefined;
    const stale = tasks.filter((t) => state.get(t)?.stale);
    if (stale.length > 0) out.push(`Saved since these results: task ${stale.join(', ')} in brackets (not counted until checked again).`, '');
    if (current === undefined && stale.length === 0) {
      out.push(`Every task's tests pass. For the full grade (every task again): course grade --only ${ex.id}`);
    } else if (s?.loadError) {
      out.push(`The exercise does not load: ${s.loadError}`, '', `Stuck? course hint ${ex.id} ${current}`);
    } else if (s?.failing) {
      out.push(`First failing test (task ${current}):`, `  ${s.failing.name}`, `  → ${s.failing.feedback}`, '', `Stuck? course hint ${ex.id} ${current}`);
    }
    out.push(`Save any file in ${shown}/ to check again.`);
    process.stdout.write(`${tty ? CLEAR : '\n────────\n'}${out.join('\n')}\n`);
  };

  // started now: its start-up overlaps the first cold render
  const warm = flags.warm === false ? null : new WarmChecker({ exercise: ex.id, target, seed: flags.seed });
  void warm?.start().catch(() => {}); // a failed start falls back to the cold path, with a note, at the first check
  let running: AbortController | null = null;
  let pending = false;
  let stopped = false;

  const cycle = async (): Promise<void> => {
    pending = false;
    for (;;) {
      const batch = nextCheck(tasks, state, edited);
      if (batch.length === 0 || stopped) break;
      const label = `task${batch.length > 1 ? 's' : ''} ${batch.join(', ')}`;
      status = batch.length > 1 || state.get(batch[0]!)?.done ? `re-checking ${label} (saved since they passed)…` : `checking ${label}…`;
      render();
      const ac = new AbortController();
      running = ac;
      let r: TaskCheck;
      try {
        r = warm ? await warmCheck(warm, batch, ac.signal) : await checkTask({ exercise: ex.id, target, task: batch, seed: flags.seed, signal: ac.signal });
      } catch (err) {
        running = null;
        status = `could not check ${label}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
        break;
      }
      running = null;
      if (r.aborted) return; // a newer save (it runs the next cycle) or Ctrl-C
      for (const task of batch) {
        state.set(task, taskState(r, task, batch.length));
        edited.delete(task);
      }
      // the grade history and `course hint` see the watch's results too (a folder it cannot write does not stop it)
      try {
        recordWatchCheck({ target, grade: r.grade, tasks: batch, seed: flags.seed ?? 1234 });
      } catch {
        // reports/ read-only or full: the watch's screen still shows the result
      }
      const note = r.grade.notes[0];
      status = `(${label} checked in ${r.seconds.toFixed(1)} s)${note ? `\n  note: ${note}` : ''}`;
      if (pending) break;
    }
    render();
  };

  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  const schedule = (file: string | null) => {
    if (file && /\.[cm]?[jt]sx?$/.test(file)) {
      const text = read(file);
      for (const t of editedTasks(seen.get(file) ?? '', text, tasks, own)) edited.add(t);
      seen.set(file, text);
    }
    for (const t of tasksAffected(file, folder, tasks, fns)) {
      const s = state.get(t);
      if (s) s.stale = true;
    }
    pending = true;
    running?.abort();
    clearTimeout(timer);
    timer = setTimeout(() => {
      chain = chain.then(() => (stopped || !pending ? undefined : cycle()));
    }, flags.debounce ?? 200);
  };

  const watcher = fs.watch(folder, { recursive: true }, (_event, file) => {
    const f = file ? String(file) : null;
    if (isSourceChange(f)) schedule(f);
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
  warm?.close();
  process.stdout.write('\nstopped watching.\n');
  return 0;
}
