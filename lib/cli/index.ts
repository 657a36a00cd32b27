/**
 * `course <command>`: the commands are declared in program.ts (commander), one file per command
 * in this folder. Errors the user can fix (CourseError) print as a message plus a fix, never as
 * a stack trace.
 */
import { CourseError } from '../errors.js';
import { runCli } from './program.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CourseError) {
      console.error(`course: ${err.problem}\n  fix: ${err.fix}`);
      // unknown names/flags are usage errors (2); anything else the user must fix is 1
      process.exitCode = /^(unknown|`course|flag --|--\w+ must)/.test(err.problem) ? 2 : 1;
    } else {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    }
  },
);
