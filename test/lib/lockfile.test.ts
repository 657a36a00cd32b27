import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../lib/exercises.js';

// `npm ci` (CI, fresh clones) refuses a lockfile that lacks any optional platform package; the
// registry mirror used here hides other platforms' binaries, so `npm install` drops them.
// scripts/lockfile-platforms.mjs puts them back: run it after changing dependencies.
test('package-lock lists every optional dependency (run scripts/lockfile-platforms.mjs if not)', () => {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { optionalDependencies?: Record<string, string> }>;
  };
  const missing: string[] = [];
  for (const [where, pkg] of Object.entries(lock.packages)) {
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
      const nested = `${where ? `${where}/` : ''}node_modules/${dep}`;
      if (!lock.packages[nested] && !lock.packages[`node_modules/${dep}`]) missing.push(`${dep} (needed by ${where || 'the project'})`);
    }
  }
  expect(missing).toEqual([]);
});
