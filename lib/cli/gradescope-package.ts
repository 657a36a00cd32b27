/** `course gradescope-package [--only EX…] [--hidden DIR] [--seed N] [--out FILE]`: one Gradescope assignment's autograder zip. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { writeGradescopePackage } from '../grader/gradescope.js';
import { PROJECT_ROOT } from '../grader/runner.js';

export interface GradescopePackageArgs {
  only?: string[];
  hidden?: string;
  seed?: number;
  out?: string;
}

/** The command's logic, apart from flag parsing (so another parser can call it). */
export function gradescopePackage(args: GradescopePackageArgs): number {
  if (args.hidden !== undefined && !(existsSync(args.hidden) && statSync(args.hidden).isDirectory())) {
    throw new CourseError(`--hidden ${args.hidden} is not a folder`, 'pass the folder holding the hidden NN*.test.ts + NN*.rubric.json files');
  }
  const name = args.only && args.only.length > 0 ? args.only.join('+') : 'all';
  const out = path.resolve(args.out ?? path.join(PROJECT_ROOT, 'reports', `gradescope-${name}.zip`));
  const r = writeGradescopePackage({ out, only: args.only, hiddenDir: args.hidden && path.resolve(args.hidden), seed: args.seed });
  console.log(`wrote ${path.relative(process.cwd(), r.file)} (${r.entries} files, ${r.usedSystemZip ? 'system zip' : 'built-in zip writer'})`);
  const total = Object.values(r.points).reduce((a, b) => a + b, 0);
  console.log(`assignment: ${Object.entries(r.points).map(([e, p]) => `${e} (${p} points)`).join(', ')}; total ${total} points`);
  console.log(r.hidden.length > 0 ? `hidden tests (graded "after_published"): ${r.hidden.join(', ')}` : 'no hidden tests');
  console.log(`upload it as the autograder of a Gradescope programming assignment worth ${total} points (Ubuntu base image)`);
  return 0;
}

/** Flags are parsed by lib/cli/program.ts. */
export async function gradescopePackageCommand(args: GradescopePackageArgs): Promise<number> {
  try {
    return gradescopePackage(args);
  } catch (err) {
    if (!(err instanceof CourseError)) throw err;
    console.error(`course gradescope-package: ${err.problem}\n  fix: ${err.fix}`);
    return 2;
  }
}
