/**
 * Narrowing a grade to some tasks or tests (`course grade --task N --test PATTERN`, `course
 * watch`). The tests left out are skipped by the runner, not run and discarded, so a narrowed
 * grade costs only what it runs.
 */
import { CourseError } from '../errors.js';
import type { RubricEntry } from './types.js';

export interface Selection {
  /** task numbers to keep */
  tasks?: number[];
  /** substring of the test name (case-insensitive), or /regex/flags */
  test?: string;
}

export function isNarrowed(sel: Selection | undefined): boolean {
  return Boolean(sel && ((sel.tasks && sel.tasks.length > 0) || sel.test));
}

function matcher(pattern: string): (name: string) => boolean {
  const re = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (re) {
    let rx: RegExp;
    try {
      rx = new RegExp(re[1]!, re[2]);
    } catch (err) {
      throw new CourseError(`--test ${pattern} is not a valid regular expression (${(err as Error).message})`, 'e.g. --test "/makeWindows|splitWindows/"');
    }
    return (name) => rx.test(name);
  }
  const needle = pattern.toLowerCase();
  return (name) => name.toLowerCase().includes(needle);
}

/** A predicate over rubric entries, or undefined when nothing is narrowed. */
export function selector(sel: Selection | undefined): ((t: Pick<RubricEntry, 'name' | 'task'>) => boolean) | undefined {
  if (!isNarrowed(sel)) return undefined;
  const tasks = sel!.tasks && sel!.tasks.length > 0 ? new Set(sel!.tasks) : null;
  const byName = sel!.test ? matcher(sel!.test) : null;
  return (t) => (!tasks || (t.task !== undefined && tasks.has(t.task))) && (!byName || byName(t.name));
}

export function describeSelection(sel: Selection | undefined): string {
  if (!isNarrowed(sel)) return 'all tests';
  const parts: string[] = [];
  if (sel!.tasks?.length) parts.push(`task ${sel!.tasks.join(', ')}`);
  if (sel!.test) parts.push(`tests matching "${sel!.test}"`);
  return parts.join(', ');
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A vitest testNamePattern matching exactly these rubric names. Vitest matches the pattern
 * against "<file> <describe> <test>" (space-joined); the rubric writes "describe > test", and a
 * test's own title may contain " > " too ("logits > 0"), so each " > " matches either.
 */
export function namePattern(names: string[]): string {
  return `(?:^| )(?:${names.map((n) => n.split(' > ').map(escape).join('(?: > | )')).join('|')})$`;
}
