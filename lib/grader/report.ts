/**
 * Turning a GradeReport into what people read: the stdout table, Gradescope's results.json
 * (https://gradescope-autograders.readthedocs.io/en/latest/specs/) and report.md with links to
 * the plots the exercises wrote under reports/NN-name/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './runner.js';
import { guaranteeLines, sandboxOf } from './sandbox/index.js';
import { escapeMarkdown, plainLine } from './plain-text.js';
import { formatFindings } from './scan.js';
import type { GradeReport } from './types.js';

export interface GradescopeTest {
  name: string;
  number: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  visibility: 'visible' | 'after_published';
  tags: string[];
  extra_data: { exercise: string; task?: number; hidden: boolean; environment_error?: string };
}

/** https://gradescope-autograders.readthedocs.io/en/latest/specs/ (schema: lib/grader/gradescope-results.schema.json) */
export interface GradescopeResults {
  score: number;
  execution_time: number;
  /** Markdown (output_format) */
  output: string;
  output_format: 'md';
  test_output_format: 'text';
  /** run_autograder's stdout is for the course staff */
  stdout_visibility: 'hidden';
  tests: GradescopeTest[];
  extra_data: Record<string, unknown>;
}

const NOT_LOADED = 'not run: the submission failed to load';

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

export function summaryLine(report: GradeReport): string {
  const per = report.exercises.map((e) => `${e.exercise} ${fmt(e.score)}/${fmt(e.maxScore)}`).join(', ');
  return `total ${fmt(report.score)}/${fmt(report.maxScore)} (seed ${report.seed}, ${report.seconds.toFixed(0)} s): ${per}`;
}

/** Tests that failed because of the environment, not the submission (lib/grader/env-errors.ts). */
export function environmentErrorLines(report: GradeReport): string[] {
  return report.exercises.flatMap((e) => e.tests.filter((t) => t.environmentError).map((t) => `${e.exercise} › ${t.name}: ${t.environmentError}`));
}

const ENV_HEADING = 'Environment errors (not the student\'s code; fix the environment with `course doctor`, then grade again):';

/** "isolation: bwrap" (the sandbox the test processes ran in; see lib/grader/sandbox/isolation.ts). */
export function isolationLine(report: GradeReport): string {
  const modes = [...new Set(report.exercises.map((e) => e.isolation).filter((m): m is NonNullable<typeof m> => !!m))];
  return `isolation: ${modes.join(', ') || 'not run'}`;
}

/** The Markdown `output` of results.json: the total, one line per exercise, the grader's notes. */
export function gradescopeOutput(report: GradeReport): string {
  const lines = [`**Total: ${fmt(report.score)} / ${fmt(report.maxScore)}** (seed ${report.seed}, ${report.seconds.toFixed(0)} s), ${isolationLine(report)}`, ''];
  for (const e of report.exercises) lines.push(`- ${e.exercise}: ${fmt(e.score)} / ${fmt(e.maxScore)}`);
  const notes = report.exercises.flatMap((e) => [
    ...(e.loadError ? [`- ${e.exercise}: the submission failed to load: ${escapeMarkdown(e.loadError)}`] : []),
    ...e.notes.map((n) => `- ${e.exercise}: ${escapeMarkdown(n)}`),
  ]);
  if (notes.length > 0) lines.push('', 'Notes:', '', ...notes);
  const env = environmentErrorLines(report);
  if (env.length > 0) lines.push('', ENV_HEADING, '', ...env.map((l) => `- ${escapeMarkdown(l)}`));
  return lines.join('\n');
}

export function toGradescope(report: GradeReport, extraData: Record<string, unknown> = {}): GradescopeResults {
  const tests: GradescopeTest[] = [];
  report.exercises.forEach((ex, i) => {
    ex.tests.forEach((t, j) => {
      tests.push({
        name: `${ex.exercise} › ${t.name}`,
        number: `${i + 1}.${j + 1}`,
        score: t.points,
        max_score: t.maxPoints,
        status: t.status,
        // Gradescope shows each test on its own: a load failure names the error there too.
        // Plain text (test_output_format), with control characters shown as escapes.
        output: plainLine(t.status === 'passed' ? 'passed' : ex.loadError && t.feedback.startsWith(NOT_LOADED) ? `did not run: the test file failed to load: ${ex.loadError}` : t.feedback, 2000),
        visibility: t.hidden ? 'after_published' : 'visible',
        tags: [ex.exercise, ...(t.task !== undefined ? [`task ${t.task}`] : []), ...(t.environmentError ? ['environment error'] : [])],
        extra_data: { exercise: ex.exercise, ...(t.task !== undefined ? { task: t.task } : {}), hidden: t.hidden, ...(t.environmentError ? { environment_error: plainLine(t.environmentError) } : {}) },
      });
    });
  });
  return {
    score: report.score,
    execution_time: Math.round(report.seconds),
    output: gradescopeOutput(report),
    output_format: 'md',
    test_output_format: 'text',
    stdout_visibility: 'hidden',
    tests,
    extra_data: { seed: report.seed, exercises: report.exercises.map((e) => e.exercise), ...(sandboxOf(report.exercises) ? { sandbox: sandboxOf(report.exercises) } : {}), ...extraData },
  };
}

/** Words of `text` in lines of at most `width` characters (a longer word is cut into pieces). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > width) {
      if (line) lines.push(line);
      lines.push(word.slice(0, width));
      word = word.slice(width);
      line = '';
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** A load error is said once: the tests it stopped are counted, not listed one by one. */
function splitLoadFailures(e: GradeReport['exercises'][number]) {
  const notRun = e.loadError ? e.tests.filter((t) => t.feedback.startsWith(NOT_LOADED)) : [];
  return { shown: e.tests.filter((t) => !notRun.includes(t)), notRun };
}

/**
 * The stdout table: one block per exercise, full test names wrapped in their column (never
 * cut, so no two rows read the same), feedback wrapped to the terminal width.
 */
export function formatTable(report: GradeReport, opts: { width?: number } = {}): string {
  const width = Math.max(80, opts.width ?? 120);
  const nameW = Math.min(48, Math.max(4, ...report.exercises.flatMap((e) => e.tests.map((t) => t.name.length))));
  const pointsW = Math.max(6, ...report.exercises.flatMap((e) => e.tests.map((t) => `${fmt(t.points)}/${fmt(t.maxPoints)}`.length)));
  const feedbackW = Math.max(30, width - nameW - pointsW - 14); // 14: indent, gaps, status
  const out: string[] = [];
  if (report.narrowed) out.push(`(narrowed to ${report.narrowed})`, '');
  for (const e of report.exercises) {
    out.push(`${e.exercise}  ${fmt(e.score)}/${fmt(e.maxScore)}`);
    const { shown, notRun } = splitLoadFailures(e);
    if (e.loadError) {
      for (const [i, l] of wrap(`the submission failed to load: ${plainLine(e.loadError)}`, width - 4).entries()) out.push(`${i ? '    ' : '  '}${l}`);
      out.push(`  → ${notRun.length} test(s) could not run (0/${fmt(notRun.reduce((n, t) => n + t.maxPoints, 0))} points): fix this first`);
    }
    if (shown.length > 0) out.push(`  ${'test'.padEnd(nameW)}  ${'points'.padEnd(pointsW)}  ${'status'}  feedback`);
    for (const t of shown) {
      const name = wrap(plainLine(t.hidden ? `${t.name} (hidden)` : t.name), nameW);
      const feedback = t.feedback ? wrap(plainLine(t.feedback, 2000), feedbackW) : [];
      const n = Math.max(name.length, feedback.length);
      for (let i = 0; i < n; i++) {
        const cells = i === 0 ? [`${fmt(t.points)}/${fmt(t.maxPoints)}`.padEnd(pointsW), t.status === 'passed' ? 'PASS  ' : 'FAIL  '] : [' '.repeat(pointsW), '      '];
        out.push(`  ${(name[i] ?? '').padEnd(nameW)}  ${cells[0]}  ${cells[1]}  ${feedback[i] ?? ''}`.trimEnd());
      }
    }
    for (const n of e.notes) out.push(`  note: ${plainLine(n)}`);
    out.push('');
  }
  out.push(summaryLine(report));
  return out.join('\n');
}

/** A table cell: escaped (plain text, one line; `|` too) */
function mdCell(s: string): string {
  return escapeMarkdown(s);
}

/** report.md; plot links are relative to `outDir`, where the file is written. */
export function formatMarkdown(report: GradeReport, outDir: string, reportsDir = path.join(PROJECT_ROOT, 'reports')): string {
  const out: string[] = [`# Grade report`, '', `Target: ${escapeMarkdown(report.target)}  `, `Seed: ${report.seed}  `, `Score: **${fmt(report.score)} / ${fmt(report.maxScore)}**  `, `${isolationLine(report).replace(/^isolation/, 'Isolation')}  `, ...guaranteeLines(report.exercises), ''];
  if (report.narrowed) out.splice(out.length - 1, 0, `Narrowed to: ${report.narrowed} (not a full grade)  `);
  const env = environmentErrorLines(report);
  if (env.length > 0) out.push(`## ${ENV_HEADING}`, '', ...env.map((l) => `- ${mdCell(l)}`), '');
  for (const e of report.exercises) {
    const { shown, notRun } = splitLoadFailures(e);
    out.push(`## ${e.exercise}: ${fmt(e.score)} / ${fmt(e.maxScore)}`, '');
    if (e.loadError) out.push(`**The submission failed to load**: ${escapeMarkdown(e.loadError)}. ${notRun.length} test(s) could not run; fix this first.`, '');
    if (shown.length > 0) out.push('| test | points | status | feedback |', '|---|---|---|---|');
    for (const t of shown) {
      const name = t.hidden ? `${t.name} (hidden)` : t.name;
      out.push(`| ${mdCell(name)} | ${fmt(t.points)}/${fmt(t.maxPoints)} | ${t.status} | ${mdCell(t.feedback)} |`);
    }
    out.push('');
    for (const n of e.notes) out.push(`- note: ${escapeMarkdown(n)}`);
    if (e.review && e.review.length > 0) {
      out.push('', `**Needs review** (static scan, lib/grader/scan.ts; the score is not affected):`, '', ...formatFindings(e.review).map((l) => `- ${l}`));
    }
    // the full run's plots, else those of the last --quick run (its own folder)
    const pngs = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.png')).sort() : []);
    const full = path.join(reportsDir, e.exercise);
    const plotDir = pngs(full).length > 0 ? full : path.join(reportsDir, `${e.exercise}-quick`);
    const plots = pngs(plotDir);
    if (plots.length > 0) {
      out.push('', `Plots from the last \`course train\`${plotDir === full ? '' : ' --quick'} run:`, '');
      for (const p of plots) out.push(`![${p}](${path.relative(outDir, path.join(plotDir, p)).split(path.sep).join('/')})`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** Writes results.json and report.md into `outDir`; returns their paths. */
export function writeReports(report: GradeReport, outDir: string): { results: string; markdown: string } {
  fs.mkdirSync(outDir, { recursive: true });
  const results = path.join(outDir, 'results.json');
  const markdown = path.join(outDir, 'report.md');
  fs.writeFileSync(results, `${JSON.stringify(toGradescope(report), null, 2)}\n`);
  fs.writeFileSync(markdown, formatMarkdown(report, outDir));
  return { results, markdown };
}
