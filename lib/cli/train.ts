/**
 * `course train NN-name`: the full run of one exercise on the chosen target's code. Around the
 * exercise's train.ts it keeps the run's step log (every step of every training loop), collects
 * the figures lib/plot writes, writes TensorBoard events (native backend), serves the live page
 * (`--live`), and at the end writes metrics.json, report.md and report.html (lib/report).
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { initBackend } from '../backend/index.js';
import { CourseError, isNotImplemented } from '../errors.js';
import { getExercise, importTarget, listExercises, importTrainModule, REPORTS_DIR, resolveTarget, type TrainResult } from '../exercises.js';
import { parseFormats, setFigureFormats } from '../plot/canvas.js';
import { newRunContext, withRunContext } from '../report/context.js';
import { finishRun, type Written } from '../report/finish.js';
import { startLivePage, type LivePage } from '../report/live.js';
import { Report } from '../report/report.js';
import { attachTensorBoard } from '../report/tensorboard.js';
import { seedEverything } from '../random.js';
import { formatSeconds } from '../train/progress.js';
import type { TrainFlags } from './program.js';

export type TrainRunOptions = TrainFlags & {
  /** called with the live page's URL once it is serving (`--live`) */
  onLive?: (url: string) => void;
  /** keep the live page open after the run (the CLI waits for Ctrl-C); default: close it */
  keepLive?: boolean;
};

export type RunSize = 'quick' | 'demo' | 'full';

/** reports/NN-name for the full run; --quick and --demo runs have their own folders (and checkpoints). */
export function defaultRunDir(exerciseId: string, quick: boolean, demo = false): string {
  return path.join(REPORTS_DIR, quick ? `${exerciseId}-quick` : demo ? `${exerciseId}-demo` : exerciseId);
}

export interface TrainingRun extends TrainResult {
  out: string;
  size: RunSize;
  written: Written;
  report: Report;
  /** TensorBoard log dir, or why there is none */
  tensorboard: { dir: string; runs: string[] } | { unavailable: string };
  live?: LivePage;
}

const SIZE_WORDS: Record<RunSize, string> = {
  quick: 'quick run (smoke size: not for conclusions)',
  demo: 'demo run (npm start: minutes, long enough to show the effect)',
  full: 'full run',
};

export async function runTraining(name: string, o: TrainRunOptions): Promise<TrainingRun> {
  const exercise = getExercise(name);
  const targetDir = resolveTarget(o.target ?? 'exercises');
  const backend = await initBackend({ job: exercise.id });
  const seed = o.seed ?? 42;
  const mod = await importTrainModule(exercise);
  const impl = await importTarget(targetDir, exercise.id);
  // --demo on an exercise without a demo size runs its quick size
  const demo = Boolean(o.demo) && !o.quick && Boolean(mod.defaults.demo);
  const quick = Boolean(o.quick) || (Boolean(o.demo) && !demo);
  const size: RunSize = quick ? 'quick' : demo ? 'demo' : 'full';
  const out = path.resolve(o.out ?? defaultRunDir(exercise.id, quick, demo));
  mkdirSync(out, { recursive: true });
  const epochs = o.epochs ?? mod.defaults.epochs;
  if ((o.seeds ?? 1) > 1 && !mod.defaults.seeds) {
    const which = [];
    for (const e of listExercises()) if ((await importTrainModule(e)).defaults.seeds) which.push(e.id);
    throw new CourseError(`${exercise.id} has no comparison to repeat over seeds`, `--seeds is for the full runs that compare options (${which.join(', ')}); drop it here`);
  }
  const formatsBefore = o.figures !== undefined ? setFigureFormats(parseFormats(o.figures)) : null;
  const ctx = newRunContext();
  const report = new Report({ title: `${exercise.title}: ${SIZE_WORDS[size]}` });
  // a fresh run starts a fresh TensorBoard log; a resumed one adds to it
  const tbDir = path.join(out, 'tensorboard');
  if (!o.resume) rmSync(tbDir, { recursive: true, force: true });
  const tb = attachTensorBoard(ctx.log, tbDir);
  let live: LivePage | undefined;
  if (o.live !== undefined) {
    live = await startLivePage({ out, title: report.meta.title, subtitle: `training on \`${backend.choice}\`, seed ${seed}`, port: typeof o.live === 'number' ? o.live : undefined });
    live.attach(ctx);
    live.status('training…');
    o.onLive?.(live.url);
  }
  seedEverything(seed);
  const started = Date.now();
  let result: TrainResult;
  try {
    result = await withRunContext(ctx, () =>
      mod.train(impl, { epochs, seed, seeds: o.seeds, out, resume: Boolean(o.resume), quick, demo, base: o.base, report }),
    );
  } catch (err) {
    await live?.close();
    if ('close' in tb) tb.close();
    if (formatsBefore) setFigureFormats(formatsBefore);
    if (isNotImplemented(err)) {
      throw new CourseError(
        `${exercise.id} in ${targetDir} is not finished: ${err.message.split(' (')[0]}`,
        `fill in that TODO in ${path.join(targetDir, exercise.id, 'index.ts')}, check it with \`course grade --only ${exercise.id}\`, or run \`course train ${exercise.id} --target solutions\` to see the reference`,
      );
    }
    throw err;
  }
  const seconds = (Date.now() - started) / 1000;
  report.meta.subtitle =
    `Code: \`${targetDir}\` · backend \`${backend.choice}\` · ` +
    (o.seeds && o.seeds > 1 ? `seeds ${seed}–${seed + o.seeds - 1} (${o.seeds} seeds: mean ± sample std)` : `seed ${seed}`) +
    `${size === 'full' ? ` · ${epochs} epochs` : ''} · ${seconds.toFixed(0)} s. ` +
    'A draft written by `course train` from this run’s own numbers: check each sentence against the figures before you hand it in.';
  const metrics = {
    exercise: exercise.id,
    target: targetDir,
    backend: backend.choice,
    tfBackend: backend.tfBackend,
    seed,
    ...(o.seeds && o.seeds > 1 ? { seeds: o.seeds } : {}),
    epochs,
    quick,
    ...(demo ? { demo } : {}),
    seconds,
    plots: result.plots.map((p) => path.relative(out, p)),
    samples: (result.samples ?? []).map((p) => path.relative(out, p)),
    ...result.metrics,
  };
  // an exercise that writes its own report.md (before lib/report) keeps it; ours is numbers.md then
  const own = path.join(out, 'report.md');
  const ownReportMd = existsSync(own) && statSync(own).mtimeMs >= started;
  const written = withRunContext(ctx, () => finishRun({ report, ctx, out, metrics, plots: result.plots, samples: result.samples ?? [], ownReportMd }));
  if ('close' in tb) tb.close();
  if (formatsBefore) setFigureFormats(formatsBefore);
  if (live) {
    live.finish(report, `Finished in ${formatSeconds(seconds)}: this is report.html (${path.join(out, 'report.html')}).`);
    if (!o.keepLive) await live.close();
  }
  return {
    ...result,
    samples: [...(result.samples ?? []), written.reportMd, written.reportHtml],
    out,
    size,
    written,
    report,
    tensorboard: 'close' in tb ? { dir: tb.dir, runs: tb.runs() } : tb,
    live,
  };
}

const relCwd = (p: string) => path.relative(process.cwd(), p) || '.';

/** What a run wrote, counted from the files themselves (the lines `course train` prints). */
export function runSummary(r: TrainingRun, elapsed: number): string[] {
  const w = r.written;
  const vectors = w.figures.flatMap((f) => f.vector).filter((f) => existsSync(f));
  const byExt = (ext: string) => vectors.filter((f) => f.endsWith(ext)).length;
  const vectorWords = [byExt('.svg') && `${byExt('.svg')} SVG`, byExt('.pdf') && `${byExt('.pdf')} PDF`].filter(Boolean).join(' + ');
  const lines = [
    `wrote ${relCwd(r.out)}/ in ${formatSeconds(elapsed)}:`,
    `  ${relCwd(w.reportMd)}, ${path.basename(w.reportHtml)}: the lab-report draft (${r.report.figureCount} figures, ${r.report.tableCount} tables, ${r.report.conclusions.length} conclusions)`,
    `  ${w.figures.length} figure PNG(s)${vectorWords ? `, each chart also as vector graphics: ${vectorWords}` : ''}:`,
    ...w.figures.map((f) => `    ${relCwd(f.file)}`),
  ];
  const extra = (r.samples ?? []).filter((f) => !f.endsWith('.png') && f !== w.reportMd && f !== w.reportHtml);
  if (extra.length) lines.push(`  also: ${extra.map(relCwd).join(', ')}`);
  lines.push(`  ${relCwd(w.metrics)}: every number${w.stepCurves ? `, and every step of ${w.stepCurves.curves} training loop(s) (${w.stepCurves.steps} steps)` : ''}`);
  if ('dir' in r.tensorboard) lines.push(`  ${relCwd(r.tensorboard.dir)}/: TensorBoard events of ${r.tensorboard.runs.length} loop(s) — view: tensorboard --logdir ${relCwd(r.tensorboard.dir)}`);
  else lines.push(`  (no TensorBoard files: ${r.tensorboard.unavailable})`);
  for (const [file, problems] of w.layoutProblems) lines.push(`  warning: layout of ${relCwd(file)}: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (+${problems.length - 3} more)` : ''}`);
  return lines;
}

export async function trainCommand(name: string, flags: TrainFlags): Promise<number> {
  const started = Date.now();
  const r = await runTraining(name, {
    ...flags,
    keepLive: true,
    onLive: (url) => console.log(`\nlive report page: ${url}  (refreshes as steps come in)\n`),
  });
  console.log(`\n${runSummary(r, (Date.now() - started) / 1000).join('\n')}`);
  if (r.live) {
    console.log(`\nThe live page now shows the finished report: ${r.live.url}  (Ctrl-C to stop serving)`);
    await r.live.serveUntilInterrupted();
    await r.live.close();
  }
  return 0;
}
