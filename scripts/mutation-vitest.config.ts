/**
 * The vitest config of `npm run mutation` (scripts/mutation.ts): the project's vitest.config.ts,
 * restricted to the one graded test file named by COURSE_MUTATION_TEST_FILE, so that a mutant
 * Stryker has to check against "all tests" runs that exercise's tests and nothing else.
 */
import { defineConfig } from 'vitest/config';
import base from '../vitest.config.js';

const only = process.env.COURSE_MUTATION_TEST_FILE;
if (!only) throw new Error('COURSE_MUTATION_TEST_FILE is not set: run mutation tests with `npm run mutation -- <exercise>`');

export default defineConfig({ ...base, test: { ...base.test, include: [only] } });
