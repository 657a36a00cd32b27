/**
 * Loading and checking rubrics (`test/NN-name.rubric.json`). A rubric that is malformed is an
 * instructor error, reported as a CourseError naming the file and the entry.
 */
import fs from 'node:fs';
import { CourseError } from '../errors.js';
import type { Rubric, RubricEntry } from './types.js';
import { parseByHandPolicy } from './policy.js';

function fail(file: string, problem: string): never {
  throw new CourseError(`${file}: ${problem}`, 'fix the rubric (see docs/ARCHITECTURE.md, "Graded tests and the rubric")');
}

export function loadRubric(file: string): Rubric {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    fail(file, `cannot read rubric: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const r = raw as Partial<Rubric>;
  if (typeof r !== 'object' || r === null || !Array.isArray(r.tests)) fail(file, 'expected { "exercise": …, "tests": [ … ] }');
  const seen = new Set<string>();
  const tests: RubricEntry[] = r.tests.map((t: Partial<RubricEntry>, i) => {
    if (typeof t?.name !== 'string' || t.name.trim() === '') fail(file, `tests[${i}] has no "name"`);
    if (typeof t.points !== 'number' || !Number.isFinite(t.points) || t.points < 0) fail(file, `"${t.name}" needs "points" (a number ≥ 0)`);
    if (typeof t.feedback !== 'string' || t.feedback.trim() === '') fail(file, `"${t.name}" needs a one-line "feedback"`);
    if (t.timeout !== undefined && !(typeof t.timeout === 'number' && t.timeout > 0)) fail(file, `"${t.name}": "timeout" must be seconds > 0`);
    if (seen.has(t.name)) fail(file, `"${t.name}" appears twice`);
    seen.add(t.name);
    for (const key of ['functions', 'uses'] as const) {
      const v = t[key];
      if (v !== undefined && !(Array.isArray(v) && v.every((f) => typeof f === 'string' && /^[A-Za-z_$][\w$.]*$/.test(f)))) {
        fail(file, `"${t.name}": "${key}" must be a list of function names, e.g. ["makeWindows"]`);
      }
    }
    const own = (t.uses ?? []).find((f) => (t.functions ?? []).includes(f));
    if (own) fail(file, `"${t.name}" both checks and uses "${own}": "uses" is for functions other tests check`);
    return {
      name: t.name,
      points: t.points,
      task: t.task,
      feedback: t.feedback.trim(),
      timeout: t.timeout,
      ...(t.functions ? { functions: t.functions } : {}),
      ...(t.uses ? { uses: t.uses } : {}),
    };
  });
  // the per-task "by hand" policy is read by the graded tests themselves; checked here so a
  // malformed one stops grading before any test runs
  const byHand = (raw as { byHand?: unknown }).byHand;
  if (byHand !== undefined) parseByHandPolicy(file, byHand);
  return { exercise: typeof r.exercise === 'string' ? r.exercise : '', tests };
}
