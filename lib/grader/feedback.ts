/**
 * Feedback that points at the right place. The runner reports, per test, the errors vitest saw
 * (message + source-mapped stack); this file turns them into the line a student reads:
 *
 *  - every failure starts with what happened, classified (failureFeedback): "threw" + the error
 *    + the submission's file:line (relative to the exercise folder, wherever the grader staged
 *    the copy) and the function it happened in; "wrong value", "not finite", "leaked" (from the
 *    assertion's message); "timed out"; "not implemented"; "returned a Promise" (a function
 *    declared async that the reference is not). The rubric's sentence follows as "hint:";
 *  - a test that failed because a function it `uses` (rubric) is broken, and that function's
 *    own test fails too, says so: "fix `makeWindows` (task 1) first: …";
 *  - one load/syntax error that stopped every test of an exercise is reported once, with its
 *    location, instead of once per test with each test's unrelated advice (every test still
 *    scores 0).
 */
import fs from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { PROJECT_ROOT } from './paths.js';
import { clip, plainLine } from './plain-text.js';
import type { ExerciseGrade, GradedTestSpec, SerializedTestError, TestOutcome } from './types.js';

export interface Frame {
  fn?: string;
  file: string;
  line: number;
  column: number;
}

/** V8 stack lines → frames ("at fn (file:line:col)" and "at file:line:col"). */
export function parseStack(stack: string): Frame[] {
  const frames: Frame[] = [];
  for (const raw of stack.split('\n')) {
    const m = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?\s*$/.exec(raw);
    if (!m) continue;
    const file = m[2]!.replace(/^file:\/\//, '');
    frames.push({ fn: m[1], file: decodeURIComponent(file), line: Number(m[3]), column: Number(m[4]) });
  }
  return frames;
}

/** "Module.countParameters" → "countParameters"; anonymous and runtime names → undefined. */
export function cleanFunctionName(fn: string | undefined): string | undefined {
  if (!fn) return undefined;
  const name = fn.replace(/^async /, '').replace(/^new /, '').split(' [as ')[0]!.split('.').pop()!;
  return /^(<anonymous>|Object|Module|eval)$/.test(name) || name === '' ? undefined : name;
}

export interface Location {
  /** path relative to the exercise folder, e.g. "index.ts" or "activations.ts" */
  file: string;
  line: number;
  column: number;
  /** the top-level function of the submission the line is in, when known */
  fn?: string;
}

/**
 * The submission's innermost frame: the first frame whose path has an `<exercise>/` folder
 * (the grader may have staged the copy anywhere; test files, lib/ and node_modules do not
 * have one).
 */
export function submissionFrame(stack: string | undefined, exercise: string): (Location & { absolute: string }) | undefined {
  if (!stack) return undefined;
  const marker = `/${exercise}/`;
  for (const f of parseStack(stack)) {
    const at = f.file.lastIndexOf(marker);
    if (at < 0 || f.file.includes('/node_modules/')) continue;
    return { file: f.file.slice(at + marker.length), line: f.line, column: f.column, fn: cleanFunctionName(f.fn), absolute: f.file };
  }
  return undefined;
}

/** The outermost named function (declaration, `const f = () =>`, method) around `line` of `source`. */
export function enclosingFunction(source: string, line: number): string | undefined {
  const lines = source.split('\n');
  // walk upwards to the nearest top-level (unindented) function-like declaration
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const l = lines[i]!;
    const m =
      /^(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)/.exec(l) ??
      /^(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(?:async\s+)?(?:function\b|\(|[A-Za-z_$][\w$]*\s*=>)/.exec(l) ??
      /^(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+([A-Za-z_$][\w$]*)/.exec(l);
    if (m) return m[1];
    if (i < line - 1 && /^}/.test(l)) return undefined; // we left a top-level block without finding its head
  }
  return undefined;
}

/** Where in the submission an error was thrown, with the function name filled in from the source. */
export function locate(err: SerializedTestError, exercise: string, submissionDir?: string): Location | undefined {
  const frame = submissionFrame(err.stack, exercise);
  if (!frame) return undefined;
  let fn: string | undefined;
  for (const file of [submissionDir ? path.join(submissionDir, frame.file) : undefined, frame.absolute]) {
    if (!file || !fs.existsSync(file)) continue;
    try {
      fn = enclosingFunction(fs.readFileSync(file, 'utf8'), frame.line);
      break;
    } catch {
      // unreadable: fall back to the stack's name
    }
  }
  return { file: frame.file, line: frame.line, column: frame.column, fn: fn ?? frame.fn };
}

export function formatLocation(loc: Location): string {
  return `${loc.file}:${loc.line}:${loc.column}${loc.fn ? `, in ${loc.fn}` : ''}`;
}

/** The first non-empty line of a message, as plain text (controls visible, at most 240 characters). */
function firstLine(text: string): string {
  const line = clip(text, 8000).split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return plainLine(line, 240);
}

export interface FeedbackContext {
  exercise: string;
  /** the student's exercise folder (<target>/<exercise>), to read function names from */
  submissionDir?: string;
  /** the reference solution's folder, to tell a stray `async` (default solutions/<exercise>) */
  referenceDir?: string;
}

/** What happened to a failing test, before any advice: the first words of its feedback. */
export type FailureKind = 'threw' | 'wrong value' | 'not finite' | 'leaked' | 'timed out' | 'not implemented' | 'returned a Promise';

const ASYNC_EXPORT = /^\s*export\s+(?:async\s+function\s*\*?\s*([A-Za-z_$][\w$]*)|(?:const|let)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*async\b)/gm;

/** Names of the functions the .ts files of `dir` export as `async`. */
export function asyncExports(dir: string | undefined): Set<string> {
  const out = new Set<string>();
  if (!dir || !fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.ts')) continue;
    try {
      for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(ASYNC_EXPORT)) out.add((m[1] ?? m[2])!);
    } catch {
      // unreadable: nothing to say about it
    }
  }
  return out;
}

/**
 * Functions the submission declares `async` that the reference does not: each returns a Promise
 * where its caller expects a value ("Cannot read properties of undefined (reading 'dataSync')").
 */
export function strayAsync(ctx: FeedbackContext): string[] {
  if (!ctx.submissionDir) return [];
  const reference = ctx.referenceDir ?? path.join(PROJECT_ROOT, 'solutions', ctx.exercise);
  if (!fs.existsSync(reference)) return [];
  const mine = asyncExports(ctx.submissionDir);
  const theirs = asyncExports(reference);
  return [...mine].filter((f) => !theirs.has(f)).sort();
}

const ASSERTION = /^(AssertionError|AssertionError \[.*\])$/;
const NOT_FINITE = /\b(NaN|-?Infinity)\b/;

/** Classifies one failing test's first error; the detail is what the student reads after the kind. */
export function classify(err: SerializedTestError, exercise?: string): { kind: Exclude<FailureKind, 'timed out' | 'returned a Promise'>; detail: string } {
  // staged paths (in a layer's origin, a leak's or a NaN's line) cut to the exercise folder before any clipping
  const message = exercise ? relativiseLoadError(err.message, exercise) : err.message;
  // the layer a tfjs-layers error happened in (test/support/layer-origins.ts) survives the cut
  const layer = / (\[in [^\n\]]* layer "[^\n]*\])\s*$/m.exec(message);
  // the op that first made a NaN/Infinity (lib/grader/tensor-origins.ts, test/support/setup.ts), likewise
  const origin = / \[first non-finite value: ([^\n]*)\]\s*$/m.exec(message);
  const cut = Math.min(layer?.index ?? Infinity, origin?.index ?? Infinity);
  const rest = Number.isFinite(cut) ? message.slice(0, cut) : message;
  const text = `${firstLine(rest)}${layer ? ` ${layer[1]}` : ''}`;
  const notImplemented = /not implemented: ([^\s(]+)/.exec(message);
  if (err.name === 'NotImplemented' || notImplemented) return { kind: 'not implemented', detail: notImplemented?.[1] ?? 'a function this test calls' };
  const assertion = ASSERTION.test(err.name ?? '') || /^expected /.test(text);
  const made = origin ? `; first ${plainLine(origin[1]!, 240)}` : '';
  if (assertion) {
    if (/\bleak/i.test(text)) {
      // "tensors leaked per call (float32[16,64] ×2; float32[16,64] ×2 made at index.ts:141:20 in trainStep): expected 2 to be +0"
      //   → "2 tensor(s) per call (float32[16,64] ×2; … made at index.ts:141:20 in trainStep)"
      const m = /^tensors leaked( .*?)?: expected (-?[\d.]+) to be \+?0\b/.exec(text);
      return { kind: 'leaked', detail: m ? `${m[2]} tensor(s)${m[1] ?? ''}` : text };
    }
    if (NOT_FINITE.test(text)) return { kind: 'not finite', detail: `${text}${made}` };
    return { kind: 'wrong value', detail: text };
  }
  const name = err.name && !text.startsWith(err.name) ? `${err.name}: ` : '';
  // a NaN that made a later op throw: what happened is still the non-finite value
  if (origin) return { kind: 'not finite', detail: `${name}${text}${made}` };
  return { kind: 'threw', detail: `${name}${text}` };
}

/**
 * One line saying why a test failed: what happened first (threw + where, wrong value, not finite,
 * leaked, timed out, not implemented, returned a Promise), then the rubric's sentence as a hint.
 * The rubric's sentence never stands alone: it was written for one anticipated mistake and would
 * blame the wrong cause for any other. Never a stack trace.
 */
export function failureFeedback(spec: GradedTestSpec, outcome: TestOutcome, ctx?: FeedbackContext): string {
  // plain text (lib/grader/plain-text.ts): the submission wrote part of it
  return plainLine(feedbackText(spec, outcome, ctx), 1200);
}

function feedbackText(spec: GradedTestSpec, outcome: TestOutcome, ctx?: FeedbackContext): string {
  const hint = ` — hint: ${spec.feedback}`;
  if (outcome.runnerReason) {
    // "timed out after 60 s …", "crashed …", "did not run …": the runner's words are the kind
    return `${outcome.runnerReason}${hint}`;
  }
  // a tampering verdict explains the failure better than whatever assertion it spoiled
  const tamper = outcome.errors.find((e) => e.message.startsWith('tampering detected'));
  if (tamper) return `${firstLine(tamper.message)}${hint}`;
  const err = outcome.errors[0];
  if (!err) return `failed (no error was reported)${hint}`;
  const { kind, detail } = classify(err, ctx?.exercise);
  if (kind === 'not implemented') return `not implemented: ${detail}`;
  // a function declared async where the reference is not: the likeliest cause of whatever followed
  const stray = ctx ? strayAsync(ctx) : [];
  const touched = [...(spec.functions ?? []), ...(spec.uses ?? [])];
  const relevant = touched.length > 0 ? stray.filter((f) => touched.includes(f)) : stray;
  if (relevant.length > 0) {
    const list = relevant.map((f) => `\`${f}\``).join(', ');
    return `returned a Promise: ${list} ${relevant.length > 1 ? 'are' : 'is'} declared async, so ${relevant.length > 1 ? 'they return' : 'it returns'} a Promise where the test expects a value (then: ${kind === 'threw' ? detail : `${kind}: ${detail}`})${hint}`;
  }
  if (kind === 'threw') {
    const loc = ctx ? locate(err, ctx.exercise, ctx.submissionDir) : undefined;
    return `threw ${detail}${loc ? ` (at ${formatLocation(loc)})` : ''}${hint}`;
  }
  return `${kind}: ${detail}${hint}`;
}

const LOAD_FAILED = /^did not run: the test file failed to load: /;

/** A load error's text with staging paths cut down to the path inside the exercise folder. */
export function relativiseLoadError(text: string, exercise: string): string {
  // absolute (staged) paths only: a relative import in the message (../../solutions/NN-name/…) stays as written
  return text.replace(new RegExp(`(^|[\\s('"\`])/\\S*/${exercise.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`, 'g'), '$1');
}

/**
 * Rubric "uses"/"functions" check across every rubric of an exercise (visible + hidden): each
 * function a test uses must be one another test of the exercise checks.
 */
export function checkDependencies(specs: GradedTestSpec[], rubricOf: (s: GradedTestSpec) => string): void {
  const checked = new Map<string, GradedTestSpec[]>();
  for (const s of specs) for (const f of s.functions ?? []) checked.set(f, [...(checked.get(f) ?? []), s]);
  for (const s of specs) {
    for (const f of s.uses ?? []) {
      if (!(checked.get(f) ?? []).some((d) => d !== s)) {
        throw new CourseError(
          `${rubricOf(s)}: "${s.name}" uses "${f}", but no other test of the exercise lists it in "functions"`,
          `add "functions": ["${f}"] to the test that checks ${f}, or fix the name (see docs/ARCHITECTURE.md, "Graded tests and the rubric")`,
        );
      }
    }
  }
}

/**
 * Rewrites the feedback of an exercise's failed tests once every outcome is known: load errors
 * collapse into `grade.loadError`, and a failure whose used function's own test fails too points
 * there first. Scores are not touched.
 */
export function refineFeedback(grade: ExerciseGrade, specs: GradedTestSpec[], outcomes: Map<string, TestOutcome>, ctx: FeedbackContext): ExerciseGrade {
  const failed = new Map(grade.tests.filter((t) => t.status === 'failed').map((t) => [t.name, t]));
  // 1. one load error, reported once
  const loadFailures = [...failed.keys()].filter((n) => LOAD_FAILED.test(outcomes.get(n)?.runnerReason ?? ''));
  if (loadFailures.length >= 2 || (loadFailures.length === 1 && grade.tests.length === 1)) {
    const first = outcomes.get(loadFailures[0]!)!;
    let text = relativiseLoadError(first.runnerReason!.replace(LOAD_FAILED, ''), ctx.exercise);
    const loc = first.errors[0] ? locate(first.errors[0], ctx.exercise, ctx.submissionDir) : undefined;
    if (loc && !text.includes(`${loc.file}:${loc.line}`)) text = `${text} (${formatLocation(loc)})`;
    grade.loadError = plainLine(text, 1000);
    for (const n of loadFailures) failed.get(n)!.feedback = 'not run: the submission failed to load (the load error above); fix it first';
  }
  // 2. dependencies: "uses makeWindows (task 1), whose test fails: fix that first"
  const bySpec = new Map(specs.map((s) => [s.name, s]));
  for (const t of failed.values()) {
    if (t.environmentError || t.feedback.startsWith('not implemented:') || t.feedback.startsWith('not run:')) continue;
    const spec = bySpec.get(t.name);
    const broken = (spec?.uses ?? [])
      .map((f) => ({ f, dep: specs.find((d) => d !== spec && (d.functions ?? []).includes(f) && failed.has(d.name)) }))
      .filter((x): x is { f: string; dep: GradedTestSpec } => x.dep !== undefined);
    if (broken.length === 0) continue;
    const said = broken.map(({ f, dep }) => `\`${f}\`${dep.task !== undefined ? ` (task ${dep.task})` : ''}`).join(' and ');
    t.feedback = `fix ${said} first: this test calls it and its own test fails — ${t.feedback}`;
  }
  return grade;
}
