/** Shared by the worker's observe() and the parent's judge (which must not import vitest). */
export const OBSERVE_MARK = 'course-grader-observe';
export const MAX_OBSERVATION_CHARS = 256 * 1024;
/** The global the grade config's first setup file freezes the send function on (observe-channel.ts). */
export const OBSERVE_CHANNEL = Symbol.for('course.grader.observe');
