/** `course train NN-name`: the full run of one exercise on the chosen target's code. */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { initBackend } from '../backend/index.js';
import { CourseError, isNotImplemented } from '../errors.js';
import { getExercise, importTarget, listExercises, importTrainModule, REPORTS_DIR, resolveTarget, type TrainResult } from '../exercises.js';
import { seedEverything } from '../random.js';
import { formatSeconds } from '../train/progress.js';
import type { TrainFlags } from './program.js';
import { runReport } from './run-report.js';

export type TrainRunOptions = TrainFlags;

/** reports/NN-name for the full run; a --quick run has its own folder (and checkpoints). */
export function defaultRunDir(exerciseId: string, quick: boolean): string {
  return path.join(REPORTS_DIR, quick ? `${exerciseId}-quick` : exerciseId);
}

export async function runTraining(name: string, o: TrainRunOptions): Promise<TrainResult & { out: string }> {
  const exercise = getExercise(name);
  const targetDir = resolveTarget(o.target ?? 'exercises');
  const backend = await initBackend({ job: exercise.id });
  const seed = o.seed ?? 42;
  const mod = await importTrainModule(exercise);
  const impl = await importTarget(targetDir, exercise.id);
  const out = path.resolve(o.out ?? defaultRunDir(exercise.id, Boolean(o.quick)));
  mkdirSync(out, { recursive: true });
  const epochs = o.epochs ?? mod.defaults.epochs;
  if ((o.seeds ?? 1) > 1 && !mod.defaults.seeds) {
    const which = [];
    for (const e of listExercises()) if ((await importTrainModule(e)).defaults.seeds) which.push(e.id);
    throw new CourseError(`${exercise.id} has no comparison to repeat over seeds`, `--seeds is for the full runs that compare options (${which.join(', ')}); drop it here`);
  }
  seedEverything(seed);
  const started = Date.now();
  let result: TrainResult;
  try {
    result = await mod.train(impl, { epochs, seed, seeds: o.seeds, out, resume: Boolean(o.resume), quick: Boolean(o.quick), base: o.base });
  } catch (err) {
    if (isNotImplemented(err)) {
      throw new CourseError(
        `${exercise.id} in ${targetDir} is not finished: ${err.message.split(' (')[0]}`,
        `fill in that TODO in ${path.join(targetDir, exercise.id, 'index.ts')}, check it with \`course grade --only ${exercise.id}\`, or run \`course train ${exercise.id} --target solutions\` to see the reference`,
      );
    }
    throw err;
  }
  const seconds = (Date.now() - started) / 1000;
  const metrics = {
    exercise: exercise.id,
    target: targetDir,
    backend: backend.choice,
    tfBackend: backend.tfBackend,
    seed,
    epochs,
    quick: Boolean(o.quick),
    seconds,
    plots: result.plots.map((p) => path.relative(out, p)),
    samples: (result.samples ?? []).map((p) => path.relative(out, p)),
    ...result.metrics,
  };
  writeFileSync(path.join(out, 'metrics.json'), JSON.stringify(metrics, null, 2));
  // the run's numbers as tables: report.md, or numbers.md beside a report.md the exercise wrote itself
  const own = path.join(out, 'report.md');
  const wroteOwn = existsSync(own) && statSync(own).mtimeMs >= started;
  const reportFile = path.join(out, wroteOwn ? 'numbers.md' : 'report.md');
  writeFileSync(
    reportFile,
    runReport({ exercise: exercise.id, title: exercise.title, target: targetDir, backend: backend.choice, seed, seeds: o.seeds, epochs, quick: Boolean(o.quick), seconds, metrics: result.metrics, plots: result.plots, out }),
  );
  return { ...result, samples: [...(result.samples ?? []), reportFile], out };
}

export async function trainCommand(name: string, flags: TrainFlags): Promise<number> {
  const started = Date.now();
  const r = await runTraining(name, flags);
  console.log(`\nwrote ${r.out}/metrics.json and ${r.plots.length} plot(s) in ${formatSeconds((Date.now() - started) / 1000)}:`);
  for (const p of [...r.plots, ...(r.samples ?? [])]) console.log(`  ${path.relative(process.cwd(), p)}`);
  return 0;
}
