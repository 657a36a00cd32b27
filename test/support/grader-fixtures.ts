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

/**
 * A planted fixture as a real submission. Fixtures live inside the repository and import the
 * course library and the code they build on (the reference solution, or another fixture) by
 * repository paths ('../../../../../../lib/…', '…/solutions/NN-name/index.js'); the grader stages
 * a submission on its own, where only its exercise folder and lib/ exist. This copies
 * `<fixture>/<exercise>/` to `<into>/<exercise>/`, puts the folder it builds on inside it
 * (`__reference__/`), and rewrites those imports to the staged layout, so the fixture is graded
 * exactly as a student's folder would be.
 */
export function materializeFixture(fixtureDir: string, exercise: string, into: string, projectRoot: string): string {
  const lib = path.join(projectRoot, 'lib');
  const importRe = /(from\s+|import\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\2/g;
  const within = (file: string, dir: string) => file.startsWith(`${dir}${path.sep}`);
  const tsFiles = (dir: string): string[] =>
    fs.readdirSync(dir, { recursive: true }).map((f) => path.join(dir, String(f))).filter((f) => f.endsWith('.ts'));
  /** the folder (named like the exercise) that `file`'s imports reach outside `dir`, if any */
  const referenceOf = (dir: string): string | null => {
    for (const file of tsFiles(dir)) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(importRe)) {
        const abs = path.resolve(path.dirname(file), m[3]!);
        if (within(abs, dir) || within(abs, lib)) continue;
        const parts = abs.split(path.sep);
        const i = parts.lastIndexOf(exercise);
        const ref = parts.slice(0, i + 1).join(path.sep);
        // a path that leads nowhere here stays as written (an attack fixture may import one)
        if (i > 0 && fs.existsSync(ref)) return ref;
      }
    }
    return null;
  };
  const copy = (src: string, dest: string, depth: number): void => {
    const ref = referenceOf(src);
    fs.mkdirSync(dest, { recursive: true });
    fs.cpSync(src, dest, { recursive: true });
    for (const file of tsFiles(dest)) {
      const orig = path.join(src, path.relative(dest, file));
      const level = path.relative(dest, path.dirname(file)).split(path.sep).filter(Boolean).length;
      const up = '../'.repeat(level);
      const text = fs.readFileSync(file, 'utf8').replace(importRe, (all, pre: string, q: string, spec: string) => {
        const abs = path.resolve(path.dirname(orig), spec);
        if (within(abs, lib)) return `${pre}${q}${'../'.repeat(level + depth)}../../lib/${path.relative(lib, abs)}${q}`;
        if (ref && within(abs, ref)) return `${pre}${q}${up || './'}__reference__/${path.relative(ref, abs)}${q}`;
        return all;
      });
      fs.writeFileSync(file, text);
    }
    if (ref) copy(ref, path.join(dest, '__reference__'), depth + 1);
  };
  copy(path.join(fixtureDir, exercise), path.join(into, exercise), 0);
  return into;
}
