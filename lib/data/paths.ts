/**
 * Where the bundled datasets live. Resolved from this file's location (lib/data/ → ../../data)
 * so it works whatever the current directory is.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CourseError } from '../errors.js';

export const DATA_DIR: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'data');

/** How to get a bundled file back; shared by every loader's error messages. */
export const RESTORE_HINT =
  'restore the bundled data with `git checkout -- data/` (or rebuild it from the Debian/npm packages with scripts/fetch-data.sh; see data/README.md)';

/** Absolute path of a file under data/, e.g. dataFile('text', 'small.txt'). Throws if it is missing. */
export function dataFile(...parts: string[]): string {
  if (parts.length === 0) throw new CourseError('dataFile() needs a file name', "pass a path under data/, e.g. dataFile('iris.csv')");
  const file = path.join(DATA_DIR, ...parts);
  if (!existsSync(file)) {
    throw new CourseError(`data file missing: ${path.relative(path.dirname(DATA_DIR), file)} (looked in ${file})`, RESTORE_HINT);
  }
  return file;
}
