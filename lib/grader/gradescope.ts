/**
 * The Gradescope autograder package (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
 * Gradescope extracts the zip into /autograder/source, runs setup.sh once to build the image
 * and run_autograder for every submission. One package = one assignment: the exercises given
 * with --only (all by default) and their hidden tests, frozen into gradescope.json.
 *
 * Zip layout (the zip's root is /autograder/source):
 *   setup.sh, run_autograder       Gradescope's entry points
 *   gradescope.json                the assignment (lib/grader/autograder.ts reads it)
 *   hidden-tests/NN*.test.ts|.rubric.json   the chosen exercises' hidden tests
 *   lib/ test/ exercises/ data/ package.json package-lock.json …   the tracked project,
 *                                  without solutions/ and test fixtures
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { PACKAGE_CONFIG, type PackageConfig } from './autograder.js';
import { exerciseSpecs, listExercises } from './grade.js';
import { PROJECT_ROOT } from './runner.js';
import { writeZip, type ZipEntry } from './zip.js';

export const HIDDEN_DIR = 'hidden-tests';

export const SETUP_SH = `#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (Ubuntu): Node 24 LTS from
# NodeSource, then the project exactly as its lockfile says.
set -euo pipefail
apt-get update
# bubblewrap: the grader's sandbox (lib/grader/sandbox/isolation.ts); where the container forbids
# namespaces, the grader drops to an unprivileged uid with setpriv instead
apt-get install -y curl ca-certificates bubblewrap
curl -fsSL https://deb.nodesource.com/setup_24.x | bash -
apt-get install -y nodejs
cd /autograder/source
npm ci --no-audit --no-fund
# Where the container refuses namespaces the grader runs each submission as an unprivileged uid
# with setpriv (docs/GRADER.md "Threat model"): everything that uid can read must be the stage and
# the runtime. node_modules moves outside /autograder (the stage links it there), and /autograder
# (the package with its hidden tests, the submission, the results) becomes root's alone.
mkdir -p /opt/course-runtime
rm -rf /opt/course-runtime/node_modules
mv node_modules /opt/course-runtime/node_modules
ln -s /opt/course-runtime/node_modules node_modules
chmod -R go-w /opt/course-runtime
chmod 0700 /autograder
`;

/**
 * Gradescope runs this for every submission (as /autograder/run_autograder, cwd /autograder).
 * COURSE_AUTOGRADER_ROOT moves /autograder (tests). If the grader dies before writing a valid
 * results.json, a fallback with score 0 and the exit status is written instead.
 */
export const RUN_AUTOGRADER = `#!/usr/bin/env bash
# Grades /autograder/submission (a zip of exercises/, NN-name/ folders or one exercise's files)
# into /autograder/results/results.json. See lib/grader/autograder.ts.
set -uo pipefail
ROOT="\${COURSE_AUTOGRADER_ROOT:-/autograder}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
cd "$ROOT/source" && node_modules/.bin/tsx lib/grader/autograder-main.ts "$ROOT"
status=$?
if ! node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));if(typeof r.score!=="number")process.exit(1)' "$RESULTS" 2>/dev/null; then
  cat > "$RESULTS" <<EOF
{"score": 0, "execution_time": 0, "output": "**The autograder could not grade this submission** (the grader exited with status $status before writing its results). This is not about your code: please tell the course staff.", "output_format": "md", "stdout_visibility": "hidden", "tests": [], "extra_data": {"error": "grader exited with status $status without results"}}
EOF
fi
exit 0
`;

/** Project files that go into the package (no solutions: students must never see them). */
function projectFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  return tracked.filter((f) => !f.startsWith('solutions/') && !f.startsWith('test/fixtures/') && fs.existsSync(path.join(PROJECT_ROOT, f)));
}

/** HEAD's short hash, with "+changes" when tracked files differ from it (the package holds the working tree). */
function gitCommit(): string | undefined {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).stdout.trim() !== '';
  return `${r.stdout.trim()}${dirty ? '+changes' : ''}`;
}

const EXERCISE_FILE = /^(\d\d)[^/]*\.(test\.ts|rubric\.json)$/;

/**
 * The hidden dir's files for the chosen exercises (NN*.test.ts + NN*.rubric.json matched by
 * number), plus its support files (anything that is not another exercise's test or rubric).
 */
export function hiddenFilesFor(hiddenDir: string, exercises: readonly string[]): string[] {
  const numbers = new Set(exercises.map((e) => e.slice(0, 2)));
  const files = fs.readdirSync(hiddenDir, { withFileTypes: true }).filter((d) => d.isFile() && !d.name.startsWith('.')).map((d) => d.name).sort();
  const chosen = files.filter((f) => {
    const m = EXERCISE_FILE.exec(f);
    return m ? numbers.has(m[1]!) : true;
  });
  const tests = chosen.filter((f) => f.endsWith('.test.ts'));
  if (tests.length === 0) {
    throw new CourseError(
      `--hidden ${hiddenDir} has no hidden tests for ${exercises.join(', ')}`,
      `put NN*.test.ts + NN*.rubric.json files there (NN = ${[...numbers].join(', ')}), or leave out --hidden`,
    );
  }
  return chosen;
}

export interface PackageOptions {
  out: string;
  /** the assignment's exercises (default: every graded exercise) */
  only?: string[];
  /** folder with hidden NN*.test.ts + NN*.rubric.json */
  hiddenDir?: string;
  seed?: number;
  /** use the system `zip` (default: when it is installed), else the built-in writer */
  systemZip?: boolean;
}

export interface PackageResult {
  file: string;
  entries: number;
  usedSystemZip: boolean;
  config: PackageConfig;
  /** hidden test files bundled */
  hidden: string[];
  /** points per exercise (visible + hidden) */
  points: Record<string, number>;
}

export function writeGradescopePackage(opts: PackageOptions): PackageResult {
  const known = listExercises();
  const exercises = opts.only && opts.only.length > 0 ? [...new Set(opts.only)] : known;
  for (const e of exercises) {
    if (!known.includes(e)) throw new CourseError(`unknown exercise "${e}"`, `choose from: ${known.join(', ')}`);
  }
  const hidden = opts.hiddenDir ? hiddenFilesFor(opts.hiddenDir, exercises) : [];
  const config: PackageConfig = {
    exercises,
    ...(hidden.length > 0 ? { hidden: HIDDEN_DIR } : {}),
    seed: opts.seed ?? 1234,
    built: { at: new Date().toISOString(), commit: gitCommit() },
  };
  const files: { name: string; from?: string; data?: Buffer; mode: number }[] = [
    { name: 'setup.sh', data: Buffer.from(SETUP_SH), mode: 0o755 },
    { name: 'run_autograder', data: Buffer.from(RUN_AUTOGRADER), mode: 0o755 },
    { name: PACKAGE_CONFIG, data: Buffer.from(`${JSON.stringify(config, null, 2)}\n`), mode: 0o644 },
    ...hidden.map((f) => ({ name: `${HIDDEN_DIR}/${f}`, from: path.join(opts.hiddenDir!, f), mode: 0o644 })),
    ...projectFiles().map((f) => ({ name: f, from: path.join(PROJECT_ROOT, f), mode: fs.statSync(path.join(PROJECT_ROOT, f)).mode & 0o777 })),
  ];
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'gradescope-'));
  const points: Record<string, number> = {};
  try {
    for (const f of files) {
      const dest = path.join(stage, f.name);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      if (f.from) fs.copyFileSync(f.from, dest);
      else fs.writeFileSync(dest, f.data!);
      fs.chmodSync(dest, f.mode);
    }
    // the same checks grading makes (a hidden test without rubric, a duplicate name), now rather than on Gradescope
    for (const e of exercises) {
      const { specs } = exerciseSpecs(e, path.join(stage, 'test'), hidden.length > 0 ? path.join(stage, HIDDEN_DIR) : undefined);
      points[e] = specs.reduce((n, s) => n + s.points, 0);
    }
    fs.mkdirSync(path.dirname(opts.out), { recursive: true });
    fs.rmSync(opts.out, { force: true });
    const hasZip = opts.systemZip ?? spawnSync('zip', ['-v'], { stdio: 'ignore' }).status === 0;
    if (hasZip) execFileSync('zip', ['-q', '-r', '-X', path.resolve(opts.out), '.'], { cwd: stage });
    else {
      const entries: ZipEntry[] = files.map((f) => ({ name: f.name, data: fs.readFileSync(path.join(stage, f.name)), mode: f.mode }));
      fs.writeFileSync(opts.out, writeZip(entries));
    }
    return { file: opts.out, entries: files.length, usedSystemZip: hasZip, config, hidden, points };
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}
