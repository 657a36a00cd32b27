/**
 * A vite plugin for the grading config: code in the submission may import its own exercise
 * folder, the course library (lib/) and packages, nothing else. An import that reaches further
 * (`../../solutions/…`, `../../test/…`, an absolute path) fails while the module loads, with a
 * message that says what is available. The staged project does not hold those files anyway
 * (sandbox/stage.ts); this turns "file not found" into an explanation.
 */
import path from 'node:path';
import type { Plugin } from 'vitest/config';

function clean(id: string): string {
  return id.split('?')[0]!.replace(/^\/@fs\//, '/');
}

function inside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(`${dir}${path.sep}`);
}

export function submissionImportGuard(opts: { root: string; target: string }): Plugin {
  const lib = path.join(opts.root, 'lib');
  return {
    name: 'course-submission-import-guard',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer) return null;
      const from = clean(importer);
      if (!inside(from, opts.target)) return null;
      if (!source.startsWith('.') && !path.isAbsolute(source) && !source.startsWith('file:')) return null;
      const exerciseDir = path.join(opts.target, path.relative(opts.target, from).split(path.sep)[0]!);
      const spec = source.startsWith('file:') ? new URL(source).pathname : source;
      const wanted = path.resolve(path.dirname(from), spec);
      if (inside(wanted, exerciseDir) || inside(wanted, lib)) return null;
      throw new Error(`${path.relative(opts.target, from)} imports ${source}: only your exercise folder and lib/ are available`);
    },
  };
}
