/** `course gradescope-package [--out FILE]`: the autograder zip for Gradescope. */
import path from 'node:path';
import { CourseError } from '../errors.js';
import { writeGradescopePackage } from '../grader/gradescope.js';
import { PROJECT_ROOT } from '../grader/runner.js';
import { parseFlags, type FlagSpec } from './args.js';

const flagsSpec = { out: { type: 'string', help: 'zip file to write (default reports/gradescope-autograder.zip)' } } satisfies FlagSpec;

export async function gradescopePackageCommand(argv: string[]): Promise<number> {
  let out: string;
  try {
    const { positionals, flags } = parseFlags('gradescope-package', argv, flagsSpec);
    if (positionals.length > 0) throw new CourseError(`unexpected argument "${positionals[0]}"`, 'use --out FILE');
    out = path.resolve(flags.out ?? path.join(PROJECT_ROOT, 'reports', 'gradescope-autograder.zip'));
  } catch (err) {
    if (err instanceof CourseError) {
      console.error(`course gradescope-package: ${err.problem}\n  fix: ${err.fix}`);
      return 2;
    }
    throw err;
  }
  const r = writeGradescopePackage(out);
  console.log(`wrote ${path.relative(process.cwd(), r.file)} (${r.entries} files, ${r.usedSystemZip ? 'system zip' : 'built-in zip writer'})`);
  console.log('upload it as the autograder of a Gradescope programming assignment (Ubuntu base image)');
  return 0;
}
