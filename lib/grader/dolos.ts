/**
 * Loading Dolos (@dodona/dolos-lib) on demand. It is deliberately NOT in package.json: its
 * tree-sitter parsers compile with node-gyp on install, and a student's `npm install` must never
 * need a C++ compiler (an optionalDependency would not do either: npm 11 here skipped it
 * silently, and a failed native build can still break some installs). Instructors install it
 * once with DOLOS_INSTALL; CI does the same before the tests.
 *
 * Looked up in this project's node_modules, then in COURSE_DOLOS_DIR (a folder where it was
 * installed with `npm install --prefix DIR …`, to keep it out of the project).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CourseError, describeError } from '../errors.js';
import { PROJECT_ROOT } from './runner.js';

export const DOLOS_PACKAGE = '@dodona/dolos-lib';
export const DOLOS_VERSION = '3.5.1';
export const DOLOS_INSTALL = `npm install --no-save ${DOLOS_PACKAGE}@${DOLOS_VERSION}`;

/** The part of Dolos's API this project uses. */
export interface DolosPair {
  leftFile: { path: string };
  rightFile: { path: string };
  similarity: number;
  longest: number;
  overlap: number;
}
export interface DolosFile {
  readonly path: string;
}
export interface DolosModule {
  Dolos: new (options?: { language?: string; kgramLength?: number; kgramsInWindow?: number }) => {
    analyze(files: DolosFile[], name?: string, ignored?: DolosFile): Promise<{ allPairs(): DolosPair[] }>;
  };
  File: new (path: string, content: string) => DolosFile;
}

function resolveFrom(base: string): string | null {
  try {
    return createRequire(path.join(base, 'package.json')).resolve(DOLOS_PACKAGE);
  } catch {
    return null;
  }
}

/** Where Dolos would load from, or null when it is not installed. */
export function findDolos(): string | null {
  const dirs = [PROJECT_ROOT, ...(process.env.COURSE_DOLOS_DIR ? [path.resolve(process.env.COURSE_DOLOS_DIR)] : [])];
  for (const d of dirs) {
    const found = resolveFrom(d);
    if (found) return found;
  }
  return null;
}

export async function loadDolos(): Promise<DolosModule> {
  const entry = findDolos();
  if (!entry) {
    throw new CourseError(
      `the similarity report needs Dolos (${DOLOS_PACKAGE}), which is not installed`,
      `run \`${DOLOS_INSTALL}\` in the course folder (it compiles tree-sitter parsers: needs python3, make and a C++ compiler), or install it elsewhere with \`npm install --prefix DIR ${DOLOS_PACKAGE}@${DOLOS_VERSION}\` and set COURSE_DOLOS_DIR=DIR`,
    );
  }
  let mod: DolosModule;
  try {
    mod = (await import(pathToFileURL(entry).href)) as DolosModule;
    // the parsers are native modules built for one Node ABI: they fail only when first used
    await new mod.Dolos({ language: 'typescript' }).analyze([new mod.File('a.ts', 'const a = 1;'), new mod.File('b.ts', 'const b = 2;')]);
  } catch (err) {
    const why = describeError(err).split('\n')[0]!;
    throw new CourseError(
      `Dolos is installed (${path.relative(process.cwd(), entry) || entry}) but does not work under Node ${process.version}: ${why}`,
      /NODE_MODULE_VERSION|different Node\.js version/.test(describeError(err))
        ? 'its parsers were built for another Node version: rebuild them with `npm rebuild @dodona/dolos-parsers tree-sitter` (in the folder Dolos was installed in)'
        : `reinstall it: \`${DOLOS_INSTALL}\``,
    );
  }
  return mod;
}
