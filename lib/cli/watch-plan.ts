/**
 * What `course watch` checks next, kept apart from the terminal loop so it can be tested without
 * one. The rule that keeps the screen honest: a task is shown done only from a check that ran
 * after the last save that could have changed it. A save marks stale every task whose functions
 * (rubric `functions` + `uses`) are defined in the saved file — every task when the file defines
 * none of the declared functions (a helper the tasks import) or the rubric declares none.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { GradedTestSpec } from '../grader/types.js';

export interface TaskMark {
  done: boolean;
  /** a save that can change this task's result came after the check that set `done` */
  stale: boolean;
}

/** Function names each task's tests check or call, from the rubric; a task with none is absent. */
export function taskFunctions(specs: Pick<GradedTestSpec, 'task' | 'functions' | 'uses'>[]): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const s of specs) {
    const names = [...(s.functions ?? []), ...(s.uses ?? [])];
    if (names.length === 0) continue;
    const set = out.get(s.task ?? 0) ?? new Set<string>();
    for (const n of names) set.add(n);
    out.set(s.task ?? 0, set);
  }
  return out;
}

const DECLARATION = /^\s*export\s+(?:default\s+)?(?:async\s+)?(?:function\s*\*?\s*|(?:const|let|var|class)\s+)([A-Za-z_$][\w$]*)/gm;

/** Names the source declares with `export function|const|let|class` (re-exports are not definitions). */
export function declaredExports(source: string): Set<string> {
  return new Set([...source.matchAll(DECLARATION)].map((m) => m[1]!));
}

/**
 * The tasks a save of `file` (relative to the exercise folder; null when the watcher could not
 * say) can change. Files that are not code (README.md, hints.md) change no task.
 */
export function tasksAffected(file: string | null, folder: string, tasks: number[], fns: Map<number, Set<string>>): number[] {
  if (file && /\.(md|txt)$/i.test(file)) return [];
  if (!file || !/\.[cm]?[jt]sx?$/.test(file)) return tasks;
  let declared: Set<string>;
  try {
    declared = declaredExports(fs.readFileSync(path.join(folder, file), 'utf8'));
  } catch {
    return tasks; // deleted or unreadable: anything may have changed
  }
  const hit = tasks.filter((t) => [...(fns.get(t) ?? [])].some((f) => declared.has(f)));
  // a task that declares no functions cannot be ruled out; nor can anything when the file defines
  // no declared function (a helper module the task files import)
  const unknown = tasks.filter((t) => !fns.has(t));
  return hit.length === 0 ? tasks : [...new Set([...hit, ...unknown])].sort((a, b) => a - b);
}

/**
 * The next tasks to check, in one run: the task being worked on (the first not done) when it has
 * no fresh result; otherwise the stale tasks marked done (a regression check after a save):
 * first those whose own functions the save edited (`edited`, when any of them is stale: a bug
 * saved into a finished task shows in the time of that task's tests), then all the others;
 * otherwise nothing (the current task's fresh result is failing, or everything is done and fresh).
 */
export function nextCheck(tasks: number[], marks: Map<number, TaskMark>, edited: ReadonlySet<number> = new Set()): number[] {
  const current = tasks.find((t) => !marks.get(t)?.done);
  if (current !== undefined) {
    const m = marks.get(current);
    if (!m || m.stale) return [current];
  }
  const stale = tasks.filter((t) => marks.get(t)?.done && marks.get(t)?.stale);
  const first = stale.filter((t) => edited.has(t));
  return first.length > 0 ? first : stale;
}

/** Each exported declaration's text (up to the next one), by name: what a save can be compared by. */
export function declarationTexts(source: string): Map<string, string> {
  const hits = [...source.matchAll(DECLARATION)];
  return new Map(hits.map((m, i) => [m[1]!, source.slice(m.index, hits[i + 1]?.index ?? source.length).trim()]));
}

/**
 * The tasks whose own functions (rubric `functions`, not `uses`) a save edited: declarations
 * whose text differs between the two versions of the file. Only an ordering hint (nextCheck):
 * every task the save can affect (tasksAffected) is re-checked in any case.
 */
export function editedTasks(before: string, after: string, tasks: number[], own: Map<number, Set<string>>): Set<number> {
  const a = declarationTexts(before);
  const b = declarationTexts(after);
  const changed = new Set([...a.keys(), ...b.keys()].filter((n) => a.get(n) !== b.get(n)));
  return new Set(tasks.filter((t) => [...(own.get(t) ?? [])].some((f) => changed.has(f))));
}

/** Function names each task's own tests judge (rubric `functions`). */
export function ownFunctions(specs: Pick<GradedTestSpec, 'task' | 'functions'>[]): Map<number, Set<string>> {
  return taskFunctions(specs.map((s) => ({ task: s.task, functions: s.functions })));
}

/** Whether the screen may say "done" for a task: passed, and checked after the last save. */
export function shownDone(m: TaskMark | undefined): boolean {
  return Boolean(m?.done && !m.stale);
}
