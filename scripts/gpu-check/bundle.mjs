#!/usr/bin/env node
/**
 * esbuild bundle for the device check (scripts/gpu-check.sh): scripts/gpu-check/check.ts with every
 * bench case and the graded tests of the chosen exercises, `vitest` replaced by vitest-shim.ts,
 * `@target/*` pointing at solutions/. Writes <out>/check.mjs.
 *
 *   node scripts/gpu-check/bundle.mjs <out-dir> [exercise ...]      (default: 02-activations 04-dcgan)
 *
 * The bundle must live two folders below the repository root (e.g. .gpu-check/app/): the course's
 * modules find data/ and each other from their own location (import.meta.url → ../../).
 */
import { build } from 'esbuild';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const [outDir, ...wanted] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node scripts/gpu-check/bundle.mjs <out-dir> [exercise ...]');
  process.exit(2);
}
const exercises = wanted.length ? wanted : ['02-activations', '04-dcgan'];
const cases = readdirSync(path.join(ROOT, 'bench', 'cases')).filter((f) => f.endsWith('.ts') && !f.startsWith('_') && !f.endsWith('.d.ts')).sort();

const entry = [
  `import { runCheck } from './scripts/gpu-check/check.ts';`,
  ...exercises.map((e, i) => `import rubric${i} from './test/${e}.rubric.json';`),
  'await runCheck({',
  '  cases: [',
  ...cases.map((f) => `    { file: ${JSON.stringify(f)}, load: () => import('./bench/cases/${f}') },`),
  '  ],',
  '  tests: [',
  ...exercises.map((e, i) => `    { exercise: ${JSON.stringify(e)}, rubric: rubric${i}, load: () => import('./test/${e}.test.ts') },`),
  '  ],',
  '});',
].join('\n');

mkdirSync(outDir, { recursive: true });
await build({
  stdin: { contents: entry, resolveDir: ROOT, sourcefile: 'gpu-check-entry.ts', loader: 'ts' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: path.join(outDir, 'check.mjs'),
  alias: {
    vitest: path.join(ROOT, 'scripts', 'gpu-check', 'vitest-shim.ts'),
    '@target': path.join(ROOT, 'solutions'),
    '@napi-rs/canvas': path.join(ROOT, 'scripts', 'gpu-check', 'no-canvas.ts'),
  },
  // not carried: tfjs-node (libtensorflow is hundreds of MB), loaded only behind a check that fails
  // cleanly when it is missing; the plotting canvas is stubbed (no-canvas.ts)
  external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '*.node'],
  // CommonJS dependencies inside an ES module: give them require, __dirname and __filename (tfjs-backend-wasm
  // finds its .wasm files next to __dirname, i.e. next to this bundle)
  banner: {
    js: [
      "import { createRequire as __courseRequire } from 'node:module';",
      "import { dirname as __courseDirname } from 'node:path';",
      "import { fileURLToPath as __courseFileURLToPath } from 'node:url';",
      'const require = __courseRequire(import.meta.url);',
      'const __filename = __courseFileURLToPath(import.meta.url);',
      'const __dirname = __courseDirname(__filename);',
    ].join(' '),
  },
  // every byte counts: the device call carries 64 MiB including the tracked tree (data/ is 30 MB)
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
});
console.log(`bundled ${cases.length} bench cases and the graded tests of ${exercises.join(', ')} into ${path.relative(ROOT, outDir)}/check.mjs`);
