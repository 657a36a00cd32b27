/**
 * The per-task "by hand" policy of an exercise: what each task's lesson forbids and what it
 * allows, kept in the rubric (`test/NN-name.rubric.json`, key `"byHand"`), read by the graded
 * tests (test/support/by-hand.ts enforces it while the student's code runs) and quoted one line
 * per task in the exercise README (test/lib/by-hand-policy.test.ts keeps the two in step).
 *
 * No tfjs here: the rubric loader (lib/grader/rubric.ts) checks the shape in the grader's parent
 * process; the names are checked against tfjs itself where the tests load the policy.
 */
import { CourseError } from '../errors.js';

/**
 * What a task may not call while its functions run. One of:
 *  - `autodiff`: the gradient tape (tf.grad, tf.grads, tf.valueAndGrad(s), tf.variableGrads,
 *    optimizer.minimize / computeGradients): anything that runs backprop through the engine;
 *  - `tf.train.*` or `tf.train.<name>` (e.g. `tf.train.adam`): an optimiser's update;
 *  - `tf.initializers.*` or `tf.initializers.<name>` (e.g. `tf.initializers.glorotUniform`);
 *  - `tf.layers.*`: applying any layer or model;
 *  - `tf.<op>` (e.g. `tf.dropout`, `tf.sigmoid`): the op, seen as the op scope the engine opens
 *    for it and, where the op has a kernel of its own, as that kernel.
 */
export type ForbiddenApi = string;

export interface TaskPolicy {
  /** what the task asks, completing "task N asks you to …", e.g. "write dropout yourself" */
  lesson: string;
  /** the exported functions the policy covers: the graded tests of this task run them under it */
  functions: string[];
  forbids: ForbiddenApi[];
  /** what the lesson allows, in words, for the README line and the feedback */
  allows: string[];
}

/** task number (as in the rubric's "task") → its policy */
export type ByHandPolicy = Record<string, TaskPolicy>;

const API_RE = /^(autodiff|tf\.train\.(\*|[a-z]+)|tf\.initializers\.(\*|[A-Za-z]+)|tf\.layers\.\*|tf\.[a-z][A-Za-z0-9]*)$/;
const NAME_RE = /^[A-Za-z_$][\w$]*$/;

function fail(file: string, problem: string): never {
  throw new CourseError(`${file}: ${problem}`, 'fix the rubric\'s "byHand" policy (see docs/GRADER.md, "By-hand policies")');
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string' && s.trim() !== '');

/** Checks a rubric's `byHand` value; returns it typed. `file` only names the rubric in errors. */
export function parseByHandPolicy(file: string, raw: unknown): ByHandPolicy {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(file, '"byHand" must be { "<task>": { lesson, functions, forbids, allows } }');
  const out: ByHandPolicy = {};
  for (const [task, value] of Object.entries(raw)) {
    if (!/^[1-9]\d*$/.test(task)) fail(file, `"byHand" key "${task}" is not a task number`);
    const p = value as Partial<TaskPolicy>;
    if (typeof p?.lesson !== 'string' || p.lesson.trim() === '') fail(file, `byHand task ${task} needs a "lesson" (completes "task ${task} asks you to …")`);
    if (!isStringList(p.functions) || !p.functions.every((f) => NAME_RE.test(f))) fail(file, `byHand task ${task}: "functions" must list exported function names`);
    if (!isStringList(p.forbids)) fail(file, `byHand task ${task}: "forbids" must be a list (empty when the library is allowed)`);
    const bad = p.forbids.find((api) => !API_RE.test(api));
    if (bad) fail(file, `byHand task ${task}: "${bad}" is not a forbidden API this grader can detect (autodiff, tf.train.*, tf.initializers.<name>, tf.layers.*, tf.<op>)`);
    if (!isStringList(p.allows) || p.allows.length === 0) fail(file, `byHand task ${task}: "allows" must say what the task may use`);
    out[task] = { lesson: p.lesson.trim(), functions: p.functions, forbids: p.forbids, allows: p.allows };
  }
  return out;
}

/** How a forbidden API reads in the README. */
function apiWords(api: ForbiddenApi): string {
  return api === 'autodiff' ? 'autodiff (`tf.grad`, `tf.grads`, `tf.valueAndGrad(s)`, `tf.variableGrads`, `optimizer.minimize`)' : `\`${api}\``;
}

/** The README line for one task (the exercise README quotes every task's line verbatim). */
export function policyLine(task: string, p: TaskPolicy): string {
  const fns = p.functions.map((f) => `\`${f}\``).join(', ');
  const forbids = p.forbids.length === 0 ? '; nothing is forbidden' : `. Forbidden: ${p.forbids.map(apiWords).join(', ')}`;
  return `- Task ${task} (${fns}): ${p.lesson}${forbids}. Allowed: ${p.allows.join('; ')}.`;
}
