/**
 * `course <command>`: one file per command in this folder. Errors the user can fix
 * (CourseError) print as a message plus a fix, never as a stack trace.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CourseError } from '../errors.js';
import { ROOT } from '../exercises.js';

type Command = (argv: string[]) => Promise<number>;

/** Commands implemented in another file of this folder, loaded on demand. */
function lazy(file: string, fn: string): Command {
  return async (argv) => {
    const full = path.join(ROOT, 'lib', 'cli', file);
    if (!existsSync(full)) throw new CourseError(`this checkout has no ${path.relative(ROOT, full)}`, 'update the repository (git pull)');
    const mod = (await import(pathToFileURL(full).href)) as Record<string, Command>;
    return mod[fn]!(argv);
  };
}

const COMMANDS: Record<string, { run: Command; help: string }> = {
  list: { run: lazy('list.ts', 'listCommand'), help: 'the exercises and how far along your copy is' },
  doctor: { run: lazy('doctor.ts', 'doctorCommand'), help: 'backend, CUDA, native install, data files: what runs and what to fix' },
  train: { run: lazy('train.ts', 'trainCommand'), help: 'train <exercise> [--target exercises|solutions|DIR] [--epochs N] [--seed N] [--out DIR] [--resume] [--quick]' },
  grade: { run: lazy('grade.ts', 'gradeCommand'), help: 'grade [--target …] [--only <exercise>…] [--hidden DIR] [--out DIR] [--seed N] [--timeout S] [--submissions DIR]' },
  hint: { run: lazy('hint.ts', 'hintCommand'), help: 'hint <exercise> [task] [level]: the tasks and where you are, or one hint (levels 1–3)' },
  plot: { run: lazy('plot.ts', 'plotCommand'), help: 'plot <metrics.json | exercise> [--out DIR]: re-draw curves from a saved run' },
  pretrain: { run: lazy('pretrain.ts', 'pretrainCommand'), help: 'pretrain [job] [--seed N] [--epochs N] [--out DIR]: re-create a committed pretrained model' },
  'gradescope-package': { run: lazy('gradescope-package.ts', 'gradescopePackageCommand'), help: 'gradescope-package [--only <exercise>…] [--hidden DIR] [--out FILE]: one Gradescope assignment\'s autograder zip' },
  similarity: { run: lazy('similarity.ts', 'similarityCommand'), help: 'similarity --submissions DIR [--only <exercise>…] [--out DIR]: most similar pairs per exercise (needs Dolos)' },
  start: { run: lazy('start.ts', 'startCommand'), help: 'the main job: short runs of every solution + the grader on them (npm start)' },
};

function usage(): string {
  return `usage: course <command> [options]\n\n${Object.entries(COMMANDS)
    .map(([k, v]) => `  ${k.padEnd(20)} ${v.help}`)
    .join('\n')}`;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    console.log(usage());
    return cmd ? 0 : 2;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    console.error(`course: unknown command "${cmd}"\n  fix: use one of: ${Object.keys(COMMANDS).join(', ')}`);
    return 2;
  }
  return c.run(rest);
}

main(process.argv.slice(2)).then(
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
