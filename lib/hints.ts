/**
 * Levelled hints: exercises/NN-name/hints.md holds, per task, three hints that get more concrete
 * (1 a nudge towards the idea, 2 the approach and the relevant API, 3 the key line of reasoning
 * or the one tricky line — never the whole function). The format, checked by parseHints:
 *
 *   # Hints for NN-name            (anything before the first "## Task" is ignored)
 *   ## Task 1 — Title
 *   ### Level 1
 *   text …
 *   ### Level 2
 *   ### Level 3
 *   ## Task 2 — …
 *
 * A code fragment is a ```ts fence; its info string may name the variables the fragment uses
 * without declaring them: ```ts given: grads: tf.NamedTensorMap; maxNorm: number
 * test/lib/hints.test.ts type-checks every fragment against the exercise's own exports.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CourseError } from './errors.js';

export const LEVELS = 3;

export interface TaskHints {
  task: number;
  title: string;
  /** levels[0] is level 1 */
  levels: string[];
}

export interface HintFragment {
  task: number;
  level: number;
  code: string;
  /** parameter list of the variables the fragment uses, e.g. "grads: tf.NamedTensorMap; maxNorm: number" */
  given?: string;
}

const TASK = /^## Task (\d+)\s*[—–-]\s*(.+?)\s*$/;
const LEVEL = /^### Level (\d+)\s*$/;

/** Parses hints.md; `file` only names the file in errors. */
export function parseHints(text: string, file = 'hints.md'): TaskHints[] {
  const tasks: TaskHints[] = [];
  let level = 0;
  let inFence = false;
  for (const [i, line] of text.split('\n').entries()) {
    if (/^```/.test(line)) inFence = !inFence;
    const t = inFence ? null : TASK.exec(line);
    const l = inFence ? null : LEVEL.exec(line);
    const where = `${file}:${i + 1}`;
    if (t) {
      const n = Number(t[1]);
      if (n !== tasks.length + 1) throw new CourseError(`${where}: "## Task ${n}" comes after task ${tasks.length}`, 'number the tasks 1, 2, 3, … in order');
      tasks.push({ task: n, title: t[2]!, levels: [] });
      level = 0;
    } else if (l) {
      const n = Number(l[1]);
      const cur = tasks.at(-1);
      if (!cur) throw new CourseError(`${where}: "### Level ${n}" before any "## Task N — title"`, 'start each task with a "## Task N — title" heading');
      if (n !== level + 1 || n > LEVELS) throw new CourseError(`${where}: "### Level ${n}" after level ${level} of task ${cur.task}`, `give every task levels 1 to ${LEVELS}, in order`);
      cur.levels.push('');
      level = n;
    } else if (/^##/.test(line) && !inFence && tasks.length > 0) {
      throw new CourseError(`${where}: unexpected heading "${line}"`, 'only "## Task N — title" and "### Level N" headings are allowed after the first task');
    } else if (tasks.length > 0) {
      const cur = tasks.at(-1)!;
      if (level === 0) {
        if (line.trim()) throw new CourseError(`${where}: text before "### Level 1" of task ${cur.task}`, 'put every hint under a "### Level N" heading');
        continue;
      }
      cur.levels[level - 1] += `${line}\n`;
    }
  }
  if (inFence) throw new CourseError(`${file}: a \`\`\` fence is not closed`, 'close every code fence');
  if (!tasks.length) throw new CourseError(`${file} has no "## Task N — title" sections`, 'write the hints as "## Task N — title" with "### Level 1..3" under each');
  for (const t of tasks) {
    t.levels = t.levels.map((s) => s.trim());
    if (t.levels.length !== LEVELS || t.levels.some((s) => !s)) {
      throw new CourseError(`${file}: task ${t.task} has ${t.levels.filter(Boolean).length} non-empty levels`, `give every task ${LEVELS} levels, each with text`);
    }
  }
  return tasks;
}

/** The ```ts fences of every hint, with where they come from. */
export function hintFragments(tasks: TaskHints[]): HintFragment[] {
  const out: HintFragment[] = [];
  for (const t of tasks) {
    t.levels.forEach((text, i) => {
      for (const m of text.matchAll(/^```ts([^\n]*)\n([\s\S]*?)^```\s*$/gm)) {
        const info = m[1]!.trim();
        const given = /^given:\s*(.+)$/.exec(info)?.[1]?.trim();
        out.push({ task: t.task, level: i + 1, code: m[2]!, ...(given ? { given } : {}) });
      }
    });
  }
  return out;
}

/** A hint as printed: fence info strings become a comment saying what the fragment assumes. */
export function renderHint(text: string): string {
  return text.replace(/^```ts[ \t]*given:\s*(.+)$/gm, (_m, given: string) => `\`\`\`ts\n// given: ${given.trim()}`);
}

export function hintsFile(exerciseDir: string): string {
  return path.join(exerciseDir, 'hints.md');
}

export function loadHints(exerciseDir: string): TaskHints[] {
  const file = hintsFile(exerciseDir);
  if (!existsSync(file)) throw new CourseError(`${file} does not exist`, 'read the exercise README instead, or restore hints.md from the repository (git checkout -- <file>)');
  return parseHints(readFileSync(file, 'utf8'), path.relative(process.cwd(), file) || file);
}

// ───────────────────────── where the student is: the last grade results ─────────────────────────

export interface Progress {
  /** the results.json that was read */
  file: string;
  /** task → [points, max points] */
  tasks: Map<number, { points: number; max: number; failed: number; total: number }>;
  /** lowest task with a failing test; undefined when every graded test passed */
  firstFailing?: number;
}

interface ResultsTest {
  score?: number;
  max_score?: number;
  status?: string;
  tags?: string[];
}

/** results.json files under `dir` (a few levels deep), newest first. */
function resultFiles(dir: string, depth = 3): { file: string; mtime: number }[] {
  if (!existsSync(dir)) return [];
  const out: { file: string; mtime: number }[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && depth > 0 && !/^(solutions|quick|history)$/.test(e.name)) out.push(...resultFiles(p, depth - 1));
    else if (e.isFile() && e.name === 'results.json') out.push({ file: p, mtime: statSync(p).mtimeMs });
  }
  return out.sort((a, b) => b.mtime - a.mtime);
}

/**
 * The student's progress in `exercise` from the newest Gradescope-style results.json under
 * `gradeDir` (written by `course grade`) that has tests of this exercise; undefined if none.
 * Results of the reference solutions (a folder named solutions/) are skipped.
 */
export function lastProgress(exercise: string, gradeDir: string): Progress | undefined {
  for (const { file } of resultFiles(gradeDir)) {
    let tests: ResultsTest[];
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { tests?: ResultsTest[] };
      tests = Array.isArray(parsed.tests) ? parsed.tests : [];
    } catch {
      continue; // a half-written or foreign file is not progress
    }
    const mine = tests.filter((t) => t.tags?.[0] === exercise);
    if (!mine.length) continue;
    const tasks: Progress['tasks'] = new Map();
    for (const t of mine) {
      const task = Number(/^task (\d+)$/.exec(t.tags?.find((g) => g.startsWith('task ')) ?? '')?.[1] ?? NaN);
      if (!Number.isInteger(task)) continue;
      const cur = tasks.get(task) ?? { points: 0, max: 0, failed: 0, total: 0 };
      cur.points += t.score ?? 0;
      cur.max += t.max_score ?? 0;
      cur.total += 1;
      if (t.status !== 'passed') cur.failed += 1;
      tasks.set(task, cur);
    }
    const failing = [...tasks].filter(([, v]) => v.failed > 0).map(([k]) => k).sort((a, b) => a - b);
    return { file, tasks, ...(failing.length ? { firstFailing: failing[0] } : {}) };
  }
  return undefined;
}
