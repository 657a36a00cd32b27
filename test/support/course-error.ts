/**
 * Argument checks in graded tests: the call must throw (or reject with) a CourseError. A stub's
 * NotImplemented is rethrown as it is, so an unwritten function is reported as "not implemented",
 * not as a missing CourseError.
 */
import { expect } from 'vitest';
import { CourseError } from '../../lib/errors.js';

const isNotImplemented = (err: unknown) => (err as Error | null)?.name === 'NotImplemented';

export function expectCourseError(fn: () => unknown, what?: string): void {
  try {
    fn();
  } catch (err) {
    if (isNotImplemented(err)) throw err;
    expect(err, what).toBeInstanceOf(CourseError);
    return;
  }
  expect.fail(`${what ? `${what}: ` : ''}expected a CourseError, but nothing was thrown`);
}

export async function expectCourseErrorAsync(fn: () => Promise<unknown>, what?: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (isNotImplemented(err)) throw err;
    expect(err, what).toBeInstanceOf(CourseError);
    return;
  }
  expect.fail(`${what ? `${what}: ` : ''}expected a CourseError, but nothing was thrown`);
}
