/**
 * The Gradescope contract: build a one-exercise package with a hidden test, unpack it into a
 * temporary /autograder-shaped root (source/, submission/, results/), run its run_autograder
 * the way Gradescope does (setup.sh's apt and npm steps replaced by a symlink to this project's
 * node_modules) and validate every results.json against a JSON Schema written from Gradescope's
 * specification (lib/grader/gradescope-results.schema.json).
 *
 * Submissions: the reference solution as a zip of exercises/, the stub as one NN-name/ folder,
 * a planted bug as loose files; plus an upload with no exercise, a package whose config is
 * broken (a grader crash) and one whose node_modules is gone (the grader cannot even start).
 * Uses 01-ffnn-from-scratch (a few seconds per grading).
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exerciseSpecs } from '../../lib/grader/grade.js';
import { writeGradescopePackage, type PackageResult } from '../../lib/grader/gradescope.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { locateSubmission } from '../../lib/grader/submission.js';
import { readZip, writeZip } from '../../lib/grader/zip.js';

const EXERCISE = '01-ffnn-from-scratch';
const SLOW = process.env.COURSE_SLOW_TESTS === '1';
const HIDDEN = path.join(PROJECT_ROOT, 'test/fixtures/gradescope/hidden');
const schema = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'lib/grader/gradescope-results.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);

interface Results {
  score: number;
  execution_time: number;
  output: string;
  output_format: string;
  tests: { name: string; score: number; max_score: number; status: string; output: string; visibility: string; tags: string[] }[];
  extra_data: Record<string, unknown> & { submission?: Record<string, unknown> };
}

function schemaErrors(json: unknown): string[] {
  return validate(json) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** Unpack with the system `unzip` when there is one (what Gradescope uses), else with readZip. */
function unpack(zip: string, dest: string): void {
  fs.mkdirSync(dest, { recursive: true });
  if (spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status === 0) {
    const r = spawnSync('unzip', ['-q', zip, '-d', dest], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`unzip failed: ${r.stderr}`);
    return;
  }
  for (const e of readZip(fs.readFileSync(zip))) {
    fs.mkdirSync(path.dirname(path.join(dest, e.name)), { recursive: true });
    fs.writeFileSync(path.join(dest, e.name), e.data, { mode: e.mode });
  }
}

/**
 * Build a package and lay it out as Gradescope does: the zip's contents become
 * <tmp>/autograder/source, run_autograder is copied to <tmp>/autograder/run_autograder; setup.sh's
 * apt and `npm ci` steps are replaced by a symlink to this project's node_modules.
 */
function makeAutograder(tmp: string, only?: string[], hiddenDir?: string): { root: string; pkg: PackageResult } {
  const root = path.join(tmp, 'autograder');
  const pkg = writeGradescopePackage({ out: path.join(tmp, 'autograder.zip'), only, hiddenDir });
  unpack(pkg.file, path.join(root, 'source'));
  fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'source', 'node_modules'));
  fs.copyFileSync(path.join(root, 'source', 'run_autograder'), path.join(root, 'run_autograder'));
  fs.chmodSync(path.join(root, 'run_autograder'), 0o755);
  return { root, pkg };
}

/** A fresh submission/ + results/, then /autograder/run_autograder with cwd /autograder. */
async function runIn(root: string, fill: (submission: string) => void): Promise<Results> {
  const submission = path.join(root, 'submission');
  fs.rmSync(submission, { recursive: true, force: true });
  fs.rmSync(path.join(root, 'results'), { recursive: true, force: true });
  fs.mkdirSync(submission, { recursive: true });
  fill(submission);
  // asynchronously: a blocked worker would miss vitest's RPC heartbeats
  const r = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    const env2 = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(__)?VITEST/.test(k))), COURSE_AUTOGRADER_ROOT: root };
    execFile(path.join(root, 'run_autograder'), [], { cwd: root, env: env2, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ status: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
  expect(r.status, `run_autograder failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  const json = JSON.parse(fs.readFileSync(path.join(root, 'results', 'results.json'), 'utf8')) as Results;
  expect(schemaErrors(json), JSON.stringify(json, null, 1).slice(0, 2000)).toEqual([]);
  return json;
}

describe('Gradescope autograder contract', () => {
  let tmp: string;
  let root: string;
  let pkg: PackageResult;
  const visible = exerciseSpecs(EXERCISE, path.join(PROJECT_ROOT, 'test')).specs;
  const withHidden = exerciseSpecs(EXERCISE, path.join(PROJECT_ROOT, 'test'), HIDDEN).specs;
  const maxScore = withHidden.reduce((n, s) => n + s.points, 0);

  const runAutograder = (fill: (submission: string) => void): Promise<Results> => runIn(root, fill);

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradescope-contract-'));
    ({ root, pkg } = makeAutograder(tmp, [EXERCISE], HIDDEN));
  });
  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the package has Gradescope\'s entry points, the hidden test, Node 24 and no solutions', () => {
    const names = readZip(fs.readFileSync(pkg.file)).map((e) => e.name);
    expect(names).toEqual(expect.arrayContaining(['setup.sh', 'run_autograder', 'gradescope.json', 'hidden-tests/01-hidden.test.ts', 'hidden-tests/01-hidden.rubric.json', 'package-lock.json']));
    expect(names.filter((n) => n.startsWith('solutions/') || n.startsWith('test/fixtures/'))).toEqual([]);
    expect(fs.statSync(path.join(root, 'source', 'run_autograder')).mode & 0o111).not.toBe(0);
    const setup = fs.readFileSync(path.join(root, 'source', 'setup.sh'), 'utf8');
    expect(setup).toMatch(/setup_24\.x/);
    expect(setup).toMatch(/npm ci/);
    // setpriv mode on Gradescope: the runtime outside /autograder, /autograder root's alone
    expect(setup).toMatch(/mv node_modules \/opt\/course-runtime\/node_modules/);
    expect(setup).toMatch(/chmod 0700 \/autograder/);
    expect(pkg.points).toEqual({ [EXERCISE]: maxScore });
    expect(maxScore).toBeGreaterThan(visible.reduce((n, s) => n + s.points, 0));
  });

  it('the built-in zip writer (no system zip) packs the same files with the same modes', () => {
    const other = writeGradescopePackage({ out: path.join(tmp, 'builtin.zip'), only: [EXERCISE], hiddenDir: HIDDEN, systemZip: false });
    expect(other.usedSystemZip).toBe(false);
    const key = (e: { name: string; data: Buffer; mode?: number }) => `${e.name} ${e.mode?.toString(8)} ${e.name === 'gradescope.json' ? '' : e.data.toString('base64')}`;
    expect(readZip(fs.readFileSync(other.file)).map(key).sort()).toEqual(readZip(fs.readFileSync(pkg.file)).map(key).sort());
  });

  it('the reference solution, uploaded as a zip of exercises/, gets every point including the hidden test', async () => {
    const r = await runAutograder((sub) => {
      fs.cpSync(path.join(PROJECT_ROOT, 'solutions', EXERCISE), path.join(sub, 'exercises', EXERCISE), { recursive: true });
      fs.writeFileSync(
        path.join(root, 'submission_metadata.json'),
        JSON.stringify({ id: 42, created_at: '2026-03-02T10:00:00.000000-08:00', assignment: { id: 7, title: 'FFNN', due_date: '2026-03-01T23:59:00.000000-08:00' }, users: [{ email: 'a@example.edu', id: 1, name: 'A' }], previous_submissions: [] }),
      );
    });
    fs.rmSync(path.join(root, 'submission_metadata.json'));
    expect(r.tests.filter((t) => t.status !== 'passed').map((t) => `${t.name}: ${t.output}`)).toEqual([]);
    expect(r.score).toBe(maxScore);
    expect(r.tests.map((t) => t.name)).toEqual(withHidden.map((s) => `${EXERCISE} › ${s.name}`));
    expect(r.tests.filter((t) => t.visibility === 'after_published').map((t) => t.name)).toEqual(withHidden.filter((s) => s.hidden).map((s) => `${EXERCISE} › ${s.name}`));
    expect(r.output_format).toBe('md');
    expect(r.output).toContain(`**Total: ${maxScore} / ${maxScore}**`);
    expect(r.extra_data).toMatchObject({ seed: 1234, node: process.version, tfjs: expect.stringMatching(/^\d+\.\d+\.\d+$/), backend: expect.stringMatching(/^(gpu|node|wasm|cpu)$/), isolation: expect.any(String), layout: 'exercises/ folder' });
    expect(r.extra_data.submission).toMatchObject({ id: 42, submitted_at: '2026-03-02T10:00:00.000000-08:00', late: true });
    expect(JSON.stringify(r.extra_data)).not.toContain('a@example.edu');
    // the mode and which of its guarantees held (lib/grader/sandbox/isolation.ts guarantees)
    expect(r.extra_data.sandbox).toMatchObject({ mode: String(r.extra_data.isolation).split(':')[0], held: expect.arrayContaining([expect.any(String)]), notHeld: expect.any(Array) });
  }, 180_000);

  it('the stub, uploaded as its NN-name/ folder, completes with 0 and "not implemented" everywhere', async () => {
    const r = await runAutograder((sub) => fs.cpSync(path.join(PROJECT_ROOT, 'exercises', EXERCISE), path.join(sub, EXERCISE), { recursive: true }));
    expect(r.score).toBe(0);
    expect(r.tests).toHaveLength(withHidden.length);
    // hidden tests say only the rubric's line and a fixed reason (their error could quote the hidden test)
    for (const t of r.tests) expect(t.output, t.name).toMatch(t.visibility === 'visible' ? /^not implemented: \S+$/ : /\(hidden test: not implemented\)$/);
    expect(r.extra_data.layout).toBe('NN-name/ folders');
  }, 180_000);

  it('a planted bug, uploaded as loose files, loses exactly its tests and keeps the hidden point', async () => {
    // planted here from the reference solution (the broken/ fixtures import the project by relative paths)
    const source = fs.readFileSync(path.join(PROJECT_ROOT, 'solutions', EXERCISE, 'index.ts'), 'utf8');
    const BUG = ['total += layerSizes[l - 1]! * layerSizes[l]! + layerSizes[l]!;', 'total += layerSizes[l - 1]! * layerSizes[l]!; // forgets the biases'] as const;
    expect(source.split(BUG[0]).length, `solutions/${EXERCISE}/index.ts changed: update the planted bug here`).toBe(2);
    const task2 = visible.filter((s) => s.task === 2).map((s) => `${EXERCISE} › ${s.name}`);
    const r = await runAutograder((sub) => {
      fs.writeFileSync(path.join(sub, 'index.ts'), source.replace(BUG[0], BUG[1]));
      fs.copyFileSync(path.join(PROJECT_ROOT, 'solutions', EXERCISE, 'train.ts'), path.join(sub, 'train.ts'));
    });
    const failed = r.tests.filter((t) => t.status === 'failed').map((t) => t.name);
    // the parameter-count tests catch it, nothing else is blamed, the hidden test still scores
    expect(failed.filter((n) => !task2.includes(n))).toEqual([]);
    expect(failed.some((n) => n.includes('counts 109,386'))).toBe(true);
    expect(r.tests.filter((t) => t.visibility === 'after_published').map((t) => t.status)).toEqual(['passed']);
    expect(r.score).toBe(maxScore - r.tests.filter((t) => t.status === 'failed').reduce((n, t) => n + t.max_score, 0));
    expect(r.extra_data.layout).toBe('loose files');
  }, 180_000);

  it('an upload without the exercise scores 0 and says what to upload', async () => {
    const r = await runAutograder((sub) => fs.writeFileSync(path.join(sub, 'notes.txt'), 'forgot my code'));
    expect(r.score).toBe(0);
    expect(r.output).toMatch(/has none of 01-ffnn-from-scratch\/ and no index\.ts \(it holds: notes\.txt\)/);
    expect(r.output).toMatch(/upload your 01-ffnn-from-scratch\/ folder/);
  }, 60_000);

  it('a grader crash (broken package config) still writes a valid results.json with score 0 and the reason', async () => {
    const config = path.join(root, 'source', 'gradescope.json');
    const saved = fs.readFileSync(config);
    fs.writeFileSync(config, '{ not json');
    try {
      const r = await runAutograder((sub) => fs.cpSync(path.join(PROJECT_ROOT, 'solutions', EXERCISE), path.join(sub, EXERCISE), { recursive: true }));
      expect(r.score).toBe(0);
      expect(r.output).toMatch(/could not grade.*\n\nReason: cannot read the package's gradescope\.json/);
      expect(r.extra_data.error).toMatch(/gradescope\.json/);
    } finally {
      fs.writeFileSync(config, saved);
    }
  }, 60_000);

  it('a grader that cannot start (no node_modules) still leaves a valid results.json', async () => {
    const link = path.join(root, 'source', 'node_modules');
    fs.rmSync(link);
    try {
      const r = await runAutograder((sub) => fs.cpSync(path.join(PROJECT_ROOT, 'solutions', EXERCISE), path.join(sub, EXERCISE), { recursive: true }));
      expect(r.score).toBe(0);
      expect(r.extra_data.error).toMatch(/grader exited with status \d+ without results/);
    } finally {
      fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), link);
    }
  }, 60_000);

  it('the schema refuses what Gradescope would misread (it can fail)', () => {
    const ok = { score: 1, output: 'x', output_format: 'md', tests: [{ name: 'a', score: 1, max_score: 1, status: 'passed' }] };
    expect(schemaErrors(ok)).toEqual([]);
    expect(schemaErrors({ ...ok, tests: [{ name: 'a', score: 1, max_points: 1 }] }).join()).toMatch(/additional properties.*max_points/);
    expect(schemaErrors({ ...ok, output_format: 'markdown' }).join()).toMatch(/output_format/);
    expect(schemaErrors({ ...ok, tests: [{ name: 'a', score: 1, status: 'ok' }] }).join()).toMatch(/status/);
    expect(schemaErrors({ output: 'no score anywhere' })).not.toEqual([]);
    expect(schemaErrors({ ...ok, score: '1' }).join()).toMatch(/score/);
  });
});

describe.runIf(SLOW)('Gradescope: the whole-chapter package (COURSE_SLOW_TESTS=1)', () => {
  it('grades the reference solutions, uploaded as a zip of exercises/, to full marks on every exercise', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gradescope-all-'));
    try {
      const { root, pkg } = makeAutograder(tmp);
      const r = await runIn(root, (sub) => fs.cpSync(path.join(PROJECT_ROOT, 'solutions'), path.join(sub, 'exercises'), { recursive: true }));
      expect(r.tests.filter((t) => t.status !== 'passed').map((t) => `${t.name}: ${t.output}`)).toEqual([]);
      expect(Object.keys(pkg.points).length).toBeGreaterThan(1);
      expect(r.score).toBe(Object.values(pkg.points).reduce((a, b) => a + b, 0));
      expect(new Set(r.tests.map((t) => t.tags[0]))).toEqual(new Set(Object.keys(pkg.points)));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 3_600_000);
});

describe('finding the exercise in an upload', () => {
  const make = (files: Record<string, string>): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upload-'));
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), text);
    }
    return dir;
  };

  it('accepts exercises/, NN-name/ and loose files, also inside one wrapper folder, and ignores __MACOSX', () => {
    const cases: [Record<string, string>, string, string][] = [
      [{ 'exercises/01-a/index.ts': 'x' }, 'exercises/ folder', 'exercises'],
      [{ 'me/exercises/01-a/index.ts': 'x' }, 'exercises/ folder', 'me/exercises'],
      [{ '01-a/index.ts': 'x', '__MACOSX/01-a/index.ts': 'junk' }, 'NN-name/ folders', ''],
      [{ 'index.ts': 'x', 'helpers.ts': 'y' }, 'loose files', ''],
      [{ 'work/index.ts': 'x' }, 'loose files', 'work'],
    ];
    for (const [files, layout, target] of cases) {
      const dir = make(files);
      try {
        const found = locateSubmission(dir, ['01-a']);
        expect(found.layout, JSON.stringify(files)).toBe(layout);
        if (found.staged) {
          expect(fs.readdirSync(path.join(found.target, '01-a')).sort()).toEqual(Object.keys(files).map((f) => path.basename(f)).sort());
          fs.rmSync(found.staged, { recursive: true });
        } else expect(path.relative(dir, found.target)).toBe(target);
      } finally {
        fs.rmSync(dir, { recursive: true });
      }
    }
  });

  it('refuses loose files for a multi-exercise assignment and another exercise\'s folder, naming the fix', () => {
    const loose = make({ 'index.ts': 'x' });
    const other = make({ '02-b/index.ts': 'x' });
    try {
      expect(() => locateSubmission(loose, ['01-a', '02-b'])).toThrow(/loose files .* covers 2 exercises[\s\S]*fix: upload the NN-name\/ folders/);
      expect(() => locateSubmission(other, ['01-a'])).toThrow(/has none of 01-a\/ and no index\.ts \(it holds: 02-b\)/);
    } finally {
      fs.rmSync(loose, { recursive: true });
      fs.rmSync(other, { recursive: true });
    }
  });

  it('reads back what the built-in zip writer wrote (names, bytes, modes)', () => {
    const entries = [
      { name: 'run_autograder', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
      { name: 'source/a b/ü.txt', data: Buffer.alloc(5000, 7), mode: 0o644 },
    ];
    expect(readZip(writeZip(entries))).toEqual(entries);
  });
});
