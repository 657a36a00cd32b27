/**
 * The exercise registry. An exercise exists when solutions/NN-name/train.ts exists; the CLI,
 * the grader and `npm start` all discover exercises here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CourseError } from './errors.js';
import type { Report } from './report/report.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SOLUTIONS_DIR = path.join(ROOT, 'solutions');
export const EXERCISES_DIR = path.join(ROOT, 'exercises');
export const REPORTS_DIR = path.join(ROOT, 'reports');

export interface TrainOptions {
  /** epochs for the full run (each exercise has its own default) */
  epochs: number;
  seed: number;
  /** folder for plots, metrics.json, samples and the checkpoint */
  out: string;
  /** continue from the checkpoint in `out` if there is one */
  resume: boolean;
  /** a smoke-size run that finishes in seconds (npm start) */
  quick: boolean;
  /** another pretrained model (tfjs layers model.json) for exercises that transfer from one */
  base?: string;
  /** repeat a comparison over this many seeds (seed, seed+1, …) and report mean ± std (02, 05) */
  seeds?: number;
  /**
   * `npm start`'s size (`course train --demo`): minutes, long enough to show the exercise's
   * phenomenon. Only passed to exercises whose `defaults.demo` is true; `quick` is false then.
   */
  demo?: boolean;
  /**
   * The run's report draft (report.md + report.html): figures with captions, tables, computed
   * conclusions. The CLI always passes one; use `reportOf(opts)` (lib/report) to write into it.
   */
  report?: Report;
}

export interface TrainResult {
  metrics: Record<string, unknown>;
  plots: string[];
  samples?: string[];
}

export interface TrainModule<Impl = unknown> {
  /**
   * seeds: the run honours TrainOptions.seeds (a comparison repeated over seeds); demo: it has a
   * `demo` size (npm start; without one, npm start runs it with `quick`)
   */
  defaults: { epochs: number; seeds?: boolean; demo?: boolean };
  train(impl: Impl, opts: TrainOptions): Promise<TrainResult>;
}

export interface ExerciseInfo {
  id: string;
  title: string;
  solutionDir: string;
  exerciseDir: string;
}

const ID = /^\d\d-[a-z0-9-]+$/;

export function listExercises(): ExerciseInfo[] {
  if (!existsSync(SOLUTIONS_DIR)) return [];
  return readdirSync(SOLUTIONS_DIR)
    .filter((d) => ID.test(d) && existsSync(path.join(SOLUTIONS_DIR, d, 'train.ts')))
    .sort()
    .map((id) => {
      const readme = path.join(EXERCISES_DIR, id, 'README.md');
      const heading = existsSync(readme) ? readFileSync(readme, 'utf8').match(/^#\s+(.+)$/m)?.[1] : undefined;
      return { id, title: heading ?? id, solutionDir: path.join(SOLUTIONS_DIR, id), exerciseDir: path.join(EXERCISES_DIR, id) };
    });
}

export function getExercise(name: string): ExerciseInfo {
  const all = listExercises();
  const hit = all.find((e) => e.id === name) ?? all.find((e) => e.id.slice(0, 2) === name.padStart(2, '0')) ??
    all.filter((e) => e.id.slice(3) === name || e.id.includes(name)).at(0);
  if (!hit) {
    throw new CourseError(
      `unknown exercise "${name}"`,
      `use one of: ${all.map((e) => e.id).join(', ') || '(none found: is solutions/ present?)'}`,
    );
  }
  return hit;
}

/** 'exercises' | 'solutions' | a directory holding NN-name/ folders → absolute path */
export function resolveTarget(target: string): string {
  if (target === 'exercises') return EXERCISES_DIR;
  if (target === 'solutions') return SOLUTIONS_DIR;
  const dir = path.resolve(target);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new CourseError(
      `target "${target}" is not a folder`,
      'use --target exercises, --target solutions, or a path to a copy of exercises/ (with NN-name/ folders inside)',
    );
  }
  return dir;
}

export async function importTarget(targetDir: string, exercise: string): Promise<unknown> {
  const file = path.join(targetDir, exercise, 'index.ts');
  if (!existsSync(file)) {
    throw new CourseError(`${file} does not exist`, `the target folder must contain ${exercise}/index.ts (copy it from exercises/)`);
  }
  return import(pathToFileURL(file).href);
}

export async function importTrainModule(exercise: ExerciseInfo): Promise<TrainModule> {
  return (await import(pathToFileURL(path.join(exercise.solutionDir, 'train.ts')).href)) as TrainModule;
}
