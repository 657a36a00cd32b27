/**
 * Which student functions each graded test calls, recorded rather than written by hand, so the
 * rubric's `functions` / `uses` (what "fix `trainStep` (task 3) first" in the feedback rests on)
 * cannot drift from the tests:
 *
 *  1. record: run an exercise's test file against the reference solution with every export
 *     wrapped in a Proxy (test/support/uses-recorder.ts) and note, per test, the exports it calls;
 *  2. derive: keep the student functions (those the stub throws NotImplemented for); a function
 *     belongs to the first task whose tests call it; a test "checks" (`functions`) the functions
 *     of its own task it calls and "uses" the others, plus every student function the reference
 *     body of a called function calls in turn (trainStep → sequenceLoss: a broken loss is why
 *     trainStep's test fails, and the feedback should say so); a test that calls none itself
 *     inherits the calls of the suite's previous test (it reads a result that test cached);
 *  3. compare with the rubric (the self-test test/grader/uses.test.ts) or write it
 *     (`npx tsx scripts/record-uses.ts <exercise> --write`).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { PROJECT_ROOT } from './paths.js';
import type { RubricEntry } from './types.js';

/** test name → the exports it called (directly, or through a hook of its suite) */
export type Recording = Map<string, Set<string>>;

/** Functions a student writes: the stub in exercises/<exercise>/ throws NotImplemented('<name>') for each. */
export function studentFunctions(exercise: string, root = PROJECT_ROOT): Set<string> {
  const dir = path.join(root, 'exercises', exercise);
  const names = new Set<string>();
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/new NotImplemented\('([A-Za-z_$][\w$]*)'\)/g)) names.add(m[1]!);
  }
  return names;
}

/**
 * Which functions each top-level function of the reference calls (by name, in the text from its
 * declaration line to the closing brace at column 0): the student functions and the reference's
 * own unexported helpers, so a student function reached through a helper counts too (07's
 * maxPool2d → poolGeometry → convOutputSize). Helpers are only steps: deriveDeclarations keeps
 * student functions some test calls.
 */
export function referenceCallGraph(exercise: string, student: Set<string>, root = PROJECT_ROOT): Map<string, Set<string>> {
  const dir = path.join(root, 'solutions', exercise);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n'));
  const head = /^(?:export\s+)?(?:async\s+)?(?:function\s*\*?\s*|const\s+)([A-Za-z_$][\w$]*)/;
  const names = new Set(student);
  for (const lines of files) for (const l of lines) if (head.exec(l)?.[1]) names.add(head.exec(l)![1]!);
  const graph = new Map<string, Set<string>>();
  for (const lines of files) {
    for (let i = 0; i < lines.length; i++) {
      const m = head.exec(lines[i]!);
      if (!m) continue;
      // the body: up to its closing brace at column 0, or the next unindented line after a
      // one-liner (a multi-line parameter list's `): T {` goes on)
      let end = i + 1;
      while (end < lines.length && !/^}/.test(lines[end]!) && !/^[^\s)\]]/.test(lines[end]!)) end++;
      const text = [lines[i]!.replace(head, ''), ...lines.slice(i + 1, end)].join('\n');
      // calls only: a name in a comment or a string ("the forward pass") is not a call
      const body = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').replace(/(['"`])(?:\\.|(?!\1).)*\1/g, '""');
      const calls = new Set([...names].filter((g) => g !== m[1] && new RegExp(`\\b${g.replace(/\$/g, '\\$')}\\s*[(<]`).test(body)));
      graph.set(m[1]!, new Set([...(graph.get(m[1]!) ?? []), ...calls]));
    }
  }
  return graph;
}

/** `fns` and every student function they reach through the reference's call graph. */
function closure(fns: Iterable<string>, graph: Map<string, Set<string>>): Set<string> {
  const seen = new Set<string>();
  const stack = [...fns];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...(graph.get(f) ?? []));
  }
  return seen;
}

/**
 * Lines the recorder wrote → per-test calls. A call outside any test (beforeAll, describe body)
 * counts for every test of the suite whose first test starts next.
 */
export function parseRecording(lines: string[]): Recording {
  const calls: Recording = new Map();
  const add = (test: string, fn: string) => calls.set(test, (calls.get(test) ?? new Set()).add(fn));
  const started: string[] = [];
  let pending: string[] = [];
  const suiteGets: { suite: string; fns: string[] }[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { start?: string; call?: string; test?: string | null };
    if (r.start !== undefined) {
      started.push(r.start);
      calls.set(r.start, calls.get(r.start) ?? new Set());
      if (pending.length > 0) suiteGets.push({ suite: r.start.split(' > ').slice(0, -1).join(' > '), fns: pending });
      pending = [];
    } else if (r.call) {
      if (r.test) add(r.test, r.call);
      else pending.push(r.call);
    }
  }
  for (const { suite, fns } of suiteGets) {
    for (const t of started) if (suite === '' || t.startsWith(`${suite} > `)) for (const f of fns) add(t, f);
  }
  return calls;
}

/** Runs `test/<exercise>.test.ts` on the reference, exports wrapped; returns what each test called. */
export async function recordUses(exercise: string, opts: { testsDir?: string; solutionsDir?: string; timeoutS?: number } = {}): Promise<Recording> {
  const testsDir = opts.testsDir ?? path.join(PROJECT_ROOT, 'test');
  const reference = path.join(opts.solutionsDir ?? path.join(PROJECT_ROOT, 'solutions'), exercise, 'index.ts');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `uses-${exercise}-`));
  try {
    const outFile = path.join(work, 'calls.jsonl');
    fs.writeFileSync(outFile, '');
    fs.mkdirSync(path.join(work, exercise));
    const names = await exportNames(reference, work);
    const recorder = path.join(PROJECT_ROOT, 'test/support/uses-recorder.ts');
    const body = [
      `import * as real from ${JSON.stringify(reference)};`,
      `import { wrap } from ${JSON.stringify(recorder)};`,
      ...names.map((n) => `export const ${n} = wrap(${JSON.stringify(n)}, real.${n});`),
    ].join('\n');
    fs.writeFileSync(path.join(work, exercise, 'index.ts'), `${body}\n`);
    const vitest = path.join(PROJECT_ROOT, 'node_modules/vitest/vitest.mjs');
    const summary = path.join(work, 'summary.json');
    const r = await run(process.execPath, [vitest, 'run', path.join(testsDir, `${exercise}.test.ts`), '--reporter=default', '--reporter=json', `--outputFile.json=${summary}`], {
      env: { ...process.env, COURSE_TARGET: work, COURSE_USES_OUT: outFile },
      timeoutS: opts.timeoutS ?? 1800,
    });
    // every test ran and passed: the recording is whole (an exit code of 1 from an unhandled
    // worker RPC timeout on a loaded machine does not make it less so)
    let passed = false;
    try {
      const j = JSON.parse(fs.readFileSync(summary, 'utf8')) as { numTotalTests: number; numPassedTests: number };
      passed = j.numTotalTests > 0 && j.numPassedTests === j.numTotalTests;
    } catch {
      passed = false;
    }
    if (!passed) {
      throw new CourseError(`recording the calls of ${exercise}'s tests failed (vitest exit ${r.status ?? r.signal})`, `run npx vitest run test/${exercise}.test.ts on the reference first; its output ended:\n${(r.stdout + r.stderr).slice(-2000)}`);
    }
    return parseRecording(fs.readFileSync(outFile, 'utf8').split('\n'));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * A child process, awaited without blocking the event loop (a vitest worker that blocks for
 * minutes misses its RPC heartbeats: "Timeout calling onTaskUpdate").
 */
function run(cmd: string, args: string[], o: { env: NodeJS.ProcessEnv; timeoutS: number }): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: PROJECT_ROOT, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-20_000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutS * 1000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr });
    });
  });
}

/** The reference module's export names (loaded in a child: it imports tfjs). */
async function exportNames(reference: string, work: string): Promise<string[]> {
  const probe = path.join(work, 'names.mts');
  fs.writeFileSync(probe, `const m = await import(${JSON.stringify(reference)});\nconsole.log(JSON.stringify(Object.keys(m)));\n`);
  const tsx = path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs');
  const r = await run(process.execPath, [tsx, probe], { env: { ...process.env, COURSE_QUIET_BACKEND: '1' }, timeoutS: 300 });
  const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('['));
  if (r.status !== 0 || !line) throw new CourseError(`cannot list the exports of ${reference}`, `check that it loads: npx tsx ${reference}\n${r.stderr.slice(-1500)}`);
  return (JSON.parse(line) as string[]).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
}

export interface Declared {
  functions: string[];
  uses: string[];
}

/**
 * The rubric fields the recording implies, per test name (every rubric test gets an entry):
 * `functions` = the student functions of the test's own task it calls itself; `uses` = the other
 * student functions it reaches (calls of other tasks' functions, and what the reference bodies
 * of the called functions call), as long as some test calls them itself (what "fix X first" points at).
 */
export function deriveDeclarations(tests: Pick<RubricEntry, 'name' | 'task'>[], calls: Recording, student: Set<string>, graph = new Map<string, Set<string>>()): Map<string, Declared> {
  const recorded = (t: string) => [...(calls.get(t) ?? [])].filter((f) => student.has(f));
  // a test that calls none itself reads a result an earlier test of its suite computed and cached
  // (02's runSmall): it depends on what that test called
  const inherited = new Map<string, string[]>();
  tests.forEach((t, i) => {
    const suite = t.name.split(' > ').slice(0, -1).join(' > ');
    const before = tests.slice(0, i).reverse().find((p) => p.name.split(' > ').slice(0, -1).join(' > ') === suite && recorded(p.name).length > 0);
    inherited.set(t.name, recorded(t.name).length > 0 || !before ? recorded(t.name) : recorded(before.name));
  });
  const direct = (t: string) => inherited.get(t) ?? [];
  const taskOf = new Map<string, number>();
  for (const t of tests) for (const f of direct(t.name)) taskOf.set(f, Math.min(taskOf.get(f) ?? Infinity, t.task ?? 0));
  return new Map(
    tests.map((t) => {
      const own = direct(t.name).filter((f) => taskOf.get(f) === (t.task ?? 0)).sort();
      const uses = [...closure(direct(t.name), graph)].filter((f) => !own.includes(f) && taskOf.has(f)).sort();
      return [t.name, { functions: own, uses }];
    }),
  );
}

/** Differences between the rubric and the recording, one line per test that disagrees. */
export function compareDeclarations(tests: RubricEntry[], derived: Map<string, Declared>): string[] {
  const problems: string[] = [];
  const same = (a: string[] | undefined, b: string[]) => JSON.stringify([...(a ?? [])].sort()) === JSON.stringify(b);
  for (const t of tests) {
    const d = derived.get(t.name);
    if (!d) continue;
    if (!same(t.functions, d.functions) || !same(t.uses, d.uses)) {
      problems.push(`"${t.name}": rubric says functions ${JSON.stringify(t.functions ?? [])}, uses ${JSON.stringify(t.uses ?? [])}; the test calls functions ${JSON.stringify(d.functions)}, uses ${JSON.stringify(d.uses)}`);
    }
  }
  return problems;
}

/** The previous field lost its successor: its trailing comma goes too. */
function dropComma(out: string[]): void {
  if (out.length > 0) out[out.length - 1] = out[out.length - 1]!.replace(/,(\s*)$/, '$1');
}

/**
 * The rubric text with each test's "functions"/"uses" set to `derived`, edited line by line (the
 * two fields go right after `"task": N,`; every other line stays as it was).
 */
export function writeDeclarations(text: string, derived: Map<string, Declared>): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let current: string | undefined;
  let skipping = false;
  let inTests = false; // "functions" elsewhere (the "byHand" policy) is not a test's declaration
  for (const line of lines) {
    if (/^\s*"tests": \[/.test(line)) inTests = true;
    const name = /^\s*"name": (".*"),\s*$/.exec(line);
    if (name) current = JSON.parse(name[1]!) as string;
    // drop an existing "functions"/"uses" array (single- or multi-line)
    if (inTests && /^\s*"(functions|uses)": \[/.test(line)) {
      skipping = !/\]/.test(line);
      if (!skipping && !/\],\s*$/.test(line)) dropComma(out); // it was the entry's last field
      continue;
    }
    if (skipping) {
      if (/^\s*\],?\s*$/.test(line)) {
        skipping = false;
        if (!/,\s*$/.test(line)) dropComma(out);
      }
      continue;
    }
    out.push(line);
    const task = /^(\s*)"task": \d+,\s*$/.exec(line);
    const d = current !== undefined ? derived.get(current) : undefined;
    if (task && d) {
      const indent = task[1]!;
      for (const key of ['functions', 'uses'] as const) {
        if (d[key].length === 0) continue;
        out.push(`${indent}"${key}": [`, ...d[key].map((f, i) => `${indent}  ${JSON.stringify(f)}${i < d[key].length - 1 ? ',' : ''}`), `${indent}],`);
      }
    }
  }
  return out.join('\n');
}
