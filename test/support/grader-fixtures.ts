/** Helpers for the grader's self-tests: planted-bug discovery and name matching. */
import fs from 'node:fs';
import path from 'node:path';

export interface PlantedBug {
  exercise: string;
  slug: string;
  /** the grading target: the folder holding NN-name/ */
  dir: string;
  description: string;
  mustFail: string[];
  slow: boolean;
  /** per-test limit for grading this fixture (keeps hang fixtures quick) */
  timeout?: number;
}

/** Every `<root>/<exercise>/<bug>/bug.json` (or `<root>/<bug>/bug.json` when `exercise` is given). */
export function findPlantedBugs(root: string, exercise?: string): PlantedBug[] {
  const out: PlantedBug[] = [];
  const exercises = exercise ? [exercise] : fs.existsSync(root) ? fs.readdirSync(root).sort() : [];
  for (const ex of exercises) {
    const base = exercise ? root : path.join(root, ex);
    if (!fs.statSync(base).isDirectory()) continue;
    for (const slug of fs.readdirSync(base).sort()) {
      const file = path.join(base, slug, 'bug.json');
      if (!fs.existsSync(file)) continue;
      const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { description?: string; mustFail?: string[]; slow?: boolean; timeout?: number };
      out.push({ exercise: ex, slug, dir: path.join(base, slug), description: j.description ?? '', mustFail: j.mustFail ?? [], slow: j.slow === true, timeout: j.timeout });
    }
  }
  return out;
}

export interface CorrectVariant {
  exercise: string;
  slug: string;
  /** the grading target: the folder holding NN-name/ */
  dir: string;
  description: string;
  slow: boolean;
}

/** Every `<root>/<exercise>/<variant>/variant.json`: a correct alternative solution that must get full marks. */
export function findCorrectVariants(root: string): CorrectVariant[] {
  const out: CorrectVariant[] = [];
  for (const ex of fs.existsSync(root) ? fs.readdirSync(root).sort() : []) {
    const base = path.join(root, ex);
    if (!fs.statSync(base).isDirectory()) continue;
    for (const slug of fs.readdirSync(base).sort()) {
      const file = path.join(base, slug, 'variant.json');
      if (!fs.existsSync(file)) continue;
      const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { description?: string; slow?: boolean };
      out.push({ exercise: ex, slug, dir: path.join(base, slug), description: j.description ?? '', slow: j.slow === true });
    }
  }
  return out;
}

/** Rubric names use "describe > test"; accept a mustFail entry written with a space instead of " > ". */
export function matchName(wanted: string, names: string[]): string | undefined {
  const norm = (s: string) => s.replace(/ > /g, ' ');
  return names.find((n) => n === wanted) ?? names.find((n) => norm(n) === norm(wanted));
}
