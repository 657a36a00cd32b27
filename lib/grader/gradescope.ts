/**
 * The Gradescope autograder package: setup.sh installs Node 20 and the project (npm ci);
 * run_autograder grades /autograder/submission and writes /autograder/results/results.json.
 * The project itself (tests, rubrics, solutions excluded) travels inside the zip as source/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './runner.js';
import { writeZip, type ZipEntry } from './zip.js';

export const SETUP_SH = `#!/usr/bin/env bash
# Gradescope runs this once when building the autograder image (Ubuntu).
set -euo pipefail
apt-get update
apt-get install -y curl ca-certificates
curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
apt-get install -y nodejs
cd /autograder/source
npm ci --no-audit --no-fund
`;

export const RUN_AUTOGRADER = `#!/usr/bin/env bash
# Gradescope runs this for every submission. The student's files are in /autograder/submission
# (a copy of exercises/, or its NN-name/ folders at the top level).
set -uo pipefail
cd /autograder/source
SUB=/autograder/submission
# accept a zip of the whole exercises/ folder too
if [ -d "$SUB/exercises" ]; then SUB="$SUB/exercises"; fi
mkdir -p /autograder/results
npx tsx lib/cli/index.ts grade --target "$SUB" --out /autograder/results \${COURSE_HIDDEN:+--hidden "$COURSE_HIDDEN"} \\
  || echo '{"score": 0, "output": "the grader could not run; please contact the course staff"}' > /autograder/results/results.json
`;

/** Project files that go into the package (no solutions: students must never see them). */
function projectFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  return tracked.filter((f) => !f.startsWith('solutions/') && !f.startsWith('test/fixtures/') && fs.existsSync(path.join(PROJECT_ROOT, f)));
}

export function writeGradescopePackage(outFile: string): { file: string; entries: number; usedSystemZip: boolean } {
  const files = projectFiles();
  const hasZip = spawnSync('zip', ['-v'], { stdio: 'ignore' }).status === 0;
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.rmSync(outFile, { force: true });
  if (hasZip) {
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'gradescope-'));
    try {
      fs.writeFileSync(path.join(stage, 'setup.sh'), SETUP_SH, { mode: 0o755 });
      fs.writeFileSync(path.join(stage, 'run_autograder'), RUN_AUTOGRADER, { mode: 0o755 });
      for (const f of files) {
        const dest = path.join(stage, 'source', f);
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.copyFileSync(path.join(PROJECT_ROOT, f), dest);
      }
      execFileSync('zip', ['-q', '-r', path.resolve(outFile), '.'], { cwd: stage });
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  } else {
    const entries: ZipEntry[] = [
      { name: 'setup.sh', data: Buffer.from(SETUP_SH), mode: 0o755 },
      { name: 'run_autograder', data: Buffer.from(RUN_AUTOGRADER), mode: 0o755 },
      ...files.map((f) => ({ name: `source/${f}`, data: fs.readFileSync(path.join(PROJECT_ROOT, f)), mode: fs.statSync(path.join(PROJECT_ROOT, f)).mode & 0o777 })),
    ];
    fs.writeFileSync(outFile, writeZip(entries));
  }
  return { file: outFile, entries: files.length + 2, usedSystemZip: hasZip };
}
