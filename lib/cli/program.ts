/**
 * The `course` command line, declared with commander: every command, its arguments, its flags
 * and their help. Each command's code lives in its own file of this folder and is imported
 * only when that command runs (tfjs and the grader are slow to load; `course --help` is not).
 *
 * Conventions: `--help` on every command, `course help [command]`, unknown commands and flags
 * are usage errors (exit 2) that list the valid choices, bad input the user can fix is a
 * CourseError (message + fix, exit 1 or 2), never a stack trace.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CourseError } from '../errors.js';
import { ROOT } from '../exercises.js';

/** A usage error commander found (unknown flag, missing value, …), already worded for people. */
export class UsageError extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${problem}\n  fix: ${fix}`);
    this.name = 'UsageError';
  }
}

/** Thrown by commander after it printed help (`--help`, `course help …`): exit 0. */
export class HelpShown extends Error {}

async function load<T>(file: string): Promise<T> {
  const full = path.join(ROOT, 'lib', 'cli', file);
  if (!existsSync(full)) throw new CourseError(`this checkout has no ${path.relative(ROOT, full)}`, 'update the repository (git pull)');
  return (await import(pathToFileURL(full).href)) as T;
}

function number(flag: string, { integer = false, min }: { integer?: boolean; min?: number } = {}) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number, got "${value}"`);
    if (integer && !Number.isInteger(n)) throw new InvalidArgumentError(`${flag} must be a whole number, got "${value}"`);
    if (min !== undefined && n < min) throw new InvalidArgumentError(`${flag} must be ≥ ${min}, got "${value}"`);
    return n;
  };
}

/** `--only a b` and `--only a,b` both work. */
function list(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').filter(Boolean)];
}

/** --figures must name known formats (checked before anything loads). */
function parseFigureList(v: string): void {
  const bad = v.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s && !['png', 'svg', 'pdf'].includes(s));
  if (bad.length) throw new InvalidArgumentError(`--figures takes png, svg and pdf, got "${bad.join(', ')}"`);
}

function flagsOf(cmd: Command): string {
  const flags = cmd.options.map((o) => o.long ?? o.short).filter(Boolean);
  return [...flags, '--help'].join(', ');
}

/** Turn commander's own errors into our message + fix; help output is not an error. */
function wordError(cmd: Command, err: CommanderError): Error {
  const name = cmd.parent ? `course ${cmd.name()}` : 'course';
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? '';
  switch (err.code) {
    case 'commander.helpDisplayed':
    case 'commander.help':
    case 'commander.version':
      return new HelpShown();
    case 'commander.unknownCommand': {
      const names = cmd.commands.map((c) => c.name());
      return new UsageError(`unknown command "${quoted}"`, `use one of: ${names.join(', ')} (course help <command> explains one)`);
    }
    case 'commander.unknownOption':
      return new UsageError(`unknown flag ${quoted} for \`${name}\``, `valid flags: ${flagsOf(cmd)} (\`${name} --help\` explains them)`);
    case 'commander.optionMissingArgument':
      return new UsageError(`flag ${/'(--?[\w-]+)/.exec(err.message)?.[1] ?? quoted} needs a value`, `\`${name} --help\` shows what each flag takes`);
    case 'commander.invalidArgument': {
      const reason = /is invalid\. (.*)$/s.exec(err.message)?.[1] ?? err.message.replace(/^error: /, '');
      return new UsageError(reason, `\`${name} --help\` shows what each flag takes`);
    }
    case 'commander.missingArgument':
      return new UsageError(`\`${name}\` needs ${quoted ? `<${quoted}>` : 'an argument'}`, `usage: ${name} ${cmd.usage()}`);
    case 'commander.excessArguments':
      return new UsageError(`too many arguments for \`${name}\``, `usage: ${name} ${cmd.usage()}`);
    default:
      return new UsageError(err.message.replace(/^error: /, ''), `\`${name} --help\``);
  }
}

/** Every command and sub-command reports through wordError and prints nothing itself. */
function conventions(cmd: Command): Command {
  return cmd
    .exitOverride((err) => {
      throw wordError(cmd, err);
    })
    .configureOutput({ outputError: () => {} })
    .allowExcessArguments(false);
}

export type CommandResult = Promise<number>;

export interface TrainFlags {
  target?: string;
  epochs?: number;
  seed?: number;
  seeds?: number;
  out?: string;
  resume?: boolean;
  quick?: boolean;
  demo?: boolean;
  base?: string;
  /** figure formats besides PNG, e.g. "png,svg,pdf" */
  figures?: string;
  /** serve the live page (true: the default port) */
  live?: boolean | number;
}

export interface GradeFlags {
  target?: string;
  only?: string[];
  task?: number[];
  test?: string;
  hidden?: string;
  out?: string;
  seed?: number;
  timeout?: number;
  submissions?: string;
  jobs?: number;
  verbose?: boolean;
  /** with --task: grade in the sandbox (as a whole-exercise grade), not on the warm checker */
  sandbox?: boolean;
}

export interface WatchFlags {
  target?: string;
  seed?: number;
  debounce?: number;
  /** false (`--no-warm`): every check starts the sandboxed test process again (the slow, graded path) */
  warm?: boolean;
}

/**
 * The program. `run` receives each command's exit code; commands are imported lazily so that
 * tests can build the program without loading tfjs.
 */
export function buildProgram(run: (code: CommandResult) => Promise<void>): Command {
  const program = conventions(new Command('course'))
    .usage('<command> [options]')
    .description('Deep-learning course companion: train, grade and get hints on the exercises.')
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText('after', '\nExamples:\n  course list\n  course watch 01-ffnn-from-scratch\n  course grade --only 03-char-rnn --task 2\n  course hint 03-char-rnn 1 2\n  course train 01-ffnn-from-scratch --quick');
  const sub = (nameAndArgs: string, description: string) => conventions(program.command(nameAndArgs).description(description));
  const targetOpt = () => new Option('--target <dir>', 'exercises (default) | solutions | a folder with NN-name/ copies');

  sub('list', 'the exercises, TODOs left in your copy and the points of your last grade').action(() =>
    run(load<{ listCommand(): CommandResult }>('list.ts').then((m) => m.listCommand())),
  );

  sub('doctor', 'backend, CUDA, native install, data files: what runs and what to fix').action(() =>
    run(load<{ doctorCommand(): CommandResult }>('doctor.ts').then((m) => m.doctorCommand())),
  );

  sub('train', 'the full training run of one exercise → reports/NN-name/ (plots, metrics.json, report.md)')
    .argument('<exercise>', 'exercise id, e.g. 01-ffnn-from-scratch (or 01)')
    .addOption(targetOpt())
    .option('--epochs <n>', "epochs for the full run (default: the exercise's own)", number('--epochs', { integer: true, min: 1 }))
    .option('--seed <n>', 'random seed (default 42)', number('--seed', { integer: true }))
    .option('--seeds <n>', 'repeat comparisons over N seeds and report mean ± std (02, 05)', number('--seeds', { integer: true, min: 1 }))
    .option('--out <dir>', 'output folder (default reports/NN-name, or reports/NN-name-quick with --quick)')
    .option('--resume', 'continue from the checkpoint in the output folder')
    .option('--quick', 'smoke-size run that finishes in seconds (its own folder: never touches the full run)')
    .option('--demo', "npm start's size: minutes, long enough to show the effect (its own folder, reports/NN-name-demo)")
    .option('--figures <formats>', 'figure files: png always, plus svg (default) and/or pdf, e.g. png,svg,pdf', (v: string) => {
      parseFigureList(v);
      return v;
    })
    .option('--live [port]', 'serve the report page on localhost while training (default port 8025), refreshing as steps come in', number('--live', { integer: true, min: 0 }))
    .option('--base <model.json>', '05-transfer-learning: another pretrained tfjs layers model')
    .action((exercise: string, flags: TrainFlags) =>
      run(load<{ trainCommand(e: string, f: TrainFlags): CommandResult }>('train.ts').then((m) => m.trainCommand(exercise, flags))),
    );

  sub('grade', 'points and feedback for a target (your exercises/ by default) → reports/grade/<target>/')
    .addOption(targetOpt())
    .option('--only <exercise...>', 'grade only these exercises (several allowed)', list)
    .option('--task <n>', 'grade only task N (repeatable)', (v: string, prev: number[] | undefined) => [...(prev ?? []), number('--task', { integer: true, min: 1 })(v)])
    .option('--test <pattern>', 'grade only tests whose name contains PATTERN (or matches it as a /regex/)')
    .option('--hidden <dir>', 'folder with hidden NN*.test.ts + NN*.rubric.json (or COURSE_HIDDEN_DIR=dir: not on the command line, which /proc shows to everyone)')
    .option('--out <dir>', 'where results.json, report.md and history/ go (default reports/grade/<target>)')
    .option('--seed <n>', 'seed fixed before every test (default 1234)', number('--seed', { integer: true }))
    .option('--timeout <s>', "per-test limit in seconds (default: the rubric's, else 120)", number('--timeout', { min: Number.MIN_VALUE }))
    .option('--submissions <dir>', 'grade every sub-folder (one per student); writes grades.csv + grades.json')
    .option('--jobs <n>', 'with --submissions: grade N submissions at once, each in its own sandbox (default: one per core)', number('--jobs', { integer: true, min: 1 }))
    .option('--verbose', "show the test runner's own output")
    .option('--sandbox', 'with --task: grade in the sandbox, as a whole-exercise grade does (slower; --task alone checks on the warm checker, as `course watch`)')
    .action((flags: GradeFlags) => run(load<{ gradeCommand(f: GradeFlags): CommandResult }>('grade.ts').then((m) => m.gradeCommand(flags))));

  sub('watch', 're-grade the first unfinished task every time you save a file of the exercise (Ctrl-C stops)')
    .argument('<exercise>', 'exercise id, e.g. 01-ffnn-from-scratch (or 01)')
    .addOption(targetOpt())
    .option('--seed <n>', 'seed fixed before every test (default 1234)', number('--seed', { integer: true }))
    .addOption(new Option('--debounce <ms>', 'wait this long after the last save').argParser(number('--debounce', { min: 0 })).hideHelp())
    .option('--no-warm', 'check each save in a fresh sandboxed test process, as `course grade` does (slower)')
    .action((exercise: string, flags: WatchFlags) =>
      run(load<{ watchCommand(e: string, f: WatchFlags): CommandResult }>('watch.ts').then((m) => m.watchCommand(exercise, flags))),
    );

  sub('checker', '`course checker stop` ends the background checker `course grade --task N` leaves running (10 idle minutes); `status` shows it')
    .argument('<action>', 'stop | status')
    .action((action: string) => {
      // 'serve' is how grade --task starts it (lib/cli/checker.ts), not for typing
      if (!['stop', 'status', 'serve'].includes(action)) throw new UsageError(`unknown checker action "${action}"`, 'use: course checker stop | course checker status');
      return run(load<{ checkerCommand(a: string): CommandResult }>('checker.ts').then((m) => m.checkerCommand(action)));
    });

  sub('hint', 'hints for an exercise: `course hint <ex>` shows what is available and where you are')
    .argument('<exercise>', 'exercise id')
    .argument('[task]', 'task number')
    .argument('[level]', 'hint level: 1 a nudge, 2 the approach, 3 the key line')
    .action((exercise: string, task: string | undefined, level: string | undefined) =>
      run(
        load<{ hintCommand(argv: string[]): CommandResult }>('hint.ts').then((m) =>
          m.hintCommand([exercise, task, level].filter((a): a is string => a !== undefined)),
        ),
      ),
    );

  sub('plot', 're-draw the curves of a saved run (a metrics.json or an exercise id)')
    .argument('<source>', 'metrics.json file or exercise id')
    .option('--out <dir>', 'output folder (default: beside the metrics file)')
    .action((source: string, flags: { out?: string }) =>
      run(load<{ plotCommand(s: string, f: { out?: string }): CommandResult }>('plot.ts').then((m) => m.plotCommand(source, flags))),
    );

  sub('compare', 'several runs side by side: the same curves overlaid, the final numbers in one table → reports/compare/…')
    .argument('<runs...>', 'two or more run folders (each with a metrics.json), e.g. reports/02-activations-quick /tmp/02-seed7')
    .option('--out <dir>', 'output folder (default reports/compare/<run names>)')
    .action((runs: string[], flags: { out?: string }) =>
      run(load<{ compareCommand(r: string[], f: { out?: string }): CommandResult }>('compare.ts').then((m) => m.compareCommand(runs, flags))),
    );

  sub('pretrain', 're-create a committed pretrained model (no job: list the jobs)')
    .argument('[job]', 'job name, e.g. transfer-base')
    .option('--seed <n>', "random seed (default: the job's recorded seed)", number('--seed', { integer: true }))
    .option('--epochs <n>', "epochs (default: the job's own)", number('--epochs', { integer: true, min: 1 }))
    .option('--out <dir>', 'output folder (default: the committed location under data/models/)')
    .action((job: string | undefined, flags: { seed?: number; epochs?: number; out?: string }) =>
      run(load<{ pretrainCommand(j: string | undefined, f: typeof flags): CommandResult }>('pretrain.ts').then((m) => m.pretrainCommand(job, flags))),
    );

  sub('gradescope-package', "one Gradescope assignment's autograder zip")
    .option('--only <exercise...>', "the assignment's exercises (default: all); one package per released exercise", list)
    .option('--hidden <dir>', 'folder with hidden NN*.test.ts + NN*.rubric.json (bundled for the chosen exercises)')
    .option('--seed <n>', 'seed fixed before every test (default 1234)', number('--seed', { integer: true }))
    .option('--out <file>', 'zip file to write (default reports/gradescope-<exercises>.zip)')
    .action((flags: { only?: string[]; hidden?: string; seed?: number; out?: string }) =>
      run(load<{ gradescopePackageCommand(f: typeof flags): CommandResult }>('gradescope-package.ts').then((m) => m.gradescopePackageCommand(flags))),
    );

  sub('similarity', 'most similar pairs of a batch per exercise, and each student against the reference (needs Dolos)')
    .option('--submissions <dir>', 'folder with one sub-folder per student (as for course grade --submissions)')
    .option('--only <exercise...>', 'exercises to compare (default: all)', list)
    .option('--out <dir>', 'where similarity.md and similarity.json go (default reports/similarity)')
    .option('--top <n>', 'pairs listed per exercise (default 10)', number('--top', { integer: true, min: 1 }))
    .option('--threshold <x>', 'flag pairs at or above this similarity, 0…1 (default 0.6)', number('--threshold', { min: 0 }))
    .action((flags: { submissions?: string; only?: string[]; out?: string; top?: number; threshold?: number }) =>
      run(load<{ similarityCommand(f: typeof flags): CommandResult }>('similarity.ts').then((m) => m.similarityCommand(flags))),
    );

  sub('start', 'the main job (npm start): short runs of every solution + the grader on them').action(() =>
    run(load<{ startCommand(): CommandResult }>('start.ts').then((m) => m.startCommand())),
  );

  return program;
}

/** Parses argv (without node and script) and runs the command; resolves to the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  let pending: CommandResult | undefined;
  const program = buildProgram(async (p) => {
    pending = p;
    await p;
  });
  if (argv.length === 0) {
    console.log(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return pending ? await pending : 0;
  } catch (err) {
    if (err instanceof HelpShown) return 0;
    if (err instanceof UsageError) {
      console.error(`course: ${err.problem}\n  fix: ${err.fix}`);
      return 2;
    }
    throw err;
  }
}
