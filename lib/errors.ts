/**
 * The two errors every part of the course throws on purpose.
 *
 * - `NotImplemented`: thrown by exercise stubs. The grader recognises it and reports
 *   "not implemented: <function>" instead of a stack trace.
 * - `CourseError`: bad input (wrong shape, missing data file, unknown exercise, NaN loss, …).
 *   It always carries a `fix`: one sentence telling the user what to do about it.
 */

export class NotImplemented extends Error {
  constructor(readonly functionName: string) {
    super(`not implemented: ${functionName} (fill in the TODO block in exercises/)`);
    this.name = 'NotImplemented';
  }
}

export class CourseError extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${problem}\n  fix: ${fix}`);
    this.name = 'CourseError';
  }
}

export function isNotImplemented(err: unknown): err is NotImplemented {
  return err instanceof Error && err.name === 'NotImplemented';
}

/** Throws a CourseError unless `shape` equals `expected` (-1 or null = any size on that axis). */
export function assertShape(
  what: string,
  shape: readonly number[],
  expected: readonly (number | null)[],
  fix = 'check how the tensor was built and reshape it before passing it in',
): void {
  const ok =
    shape.length === expected.length &&
    expected.every((e, i) => e === null || e === -1 || e === shape[i]);
  if (!ok) {
    const want = `[${expected.map((e) => (e === null || e === -1 ? '?' : e)).join(',')}]`;
    throw new CourseError(`${what} has shape [${shape.join(',')}], expected ${want}`, fix);
  }
}

/** Human-readable message for any thrown value (first line of a CourseError keeps its fix). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
