/**
 * Turning a GradeReport into what people read: the stdout table, Gradescope's results.json
 * (https://gradescope-autograders.readthedocs.io/en/latest/specs/) and report.md with links to
 * the plots the exercises wrote under reports/NN-name/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './runner.js';
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

/** The Markdown `output` of results.json: the total, one line per exercise, the grader's notes. */
export function gradescopeOutput(report: GradeReport): string {
  const lines = [`**Total: ${fmt(report.score)} / ${fmt(report.maxScore)}** (seed ${report.seed}, ${report.seconds.toFixed(0)} s)`, ''];
  for (const e of report.exercises) lines.push(`- ${e.exercise}: ${fmt(e.score)} / ${fmt(e.maxScore)}`);
  const notes = report.exercises.flatMap((e) => e.notes.map((n) => `- ${e.exercise}: ${n}`));
  if (notes.length > 0) lines.push('', 'Notes:', '', ...notes);
  const env = environmentErrorLines(report);
  if (env.length > 0) lines.push('', ENV_HEADING, '', ...env.map((l) => `- ${l}`));
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
        output: t.status === 'passed' ? 'passed' : t.feedback,
        visibility: t.hidden ? 'after_published' : 'visible',
        tags: [ex.exercise, ...(t.task !== undefined ? [`task ${t.task}`] : []), ...(t.environmentError ? ['environment error'] : [])],
        extra_data: { exercise: ex.exercise, ...(t.task !== undefined ? { task: t.task } : {}), hidden: t.hidden, ...(t.environmentError ? { environment_error: t.environmentError } : {}) },
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
    extra_data: { seed: report.seed, exercises: report.exercises.map((e) => e.exercise), ...extraData },
  };
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function formatTable(report: GradeReport): string {
  const rows = report.exercises.flatMap((e) =>
    e.tests.map((t) => [e.exercise, clip(t.name, 50), `${fmt(t.points)}/${fmt(t.maxPoints)}`, t.status === 'passed' ? 'PASS' : 'FAIL', t.feedback]),
  );
  const header = ['exercise', 'test', 'points', 'status', 'feedback'];
  const widths = header.slice(0, 4).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w)).concat('--------')), ...rows.map(line), '', summaryLine(report)].join('\n');
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** report.md; plot links are relative to `outDir`, where the file is written. */
export function formatMarkdown(report: GradeReport, outDir: string, reportsDir = path.join(PROJECT_ROOT, 'reports')): string {
  const out: string[] = [`# Grade report`, '', `Target: \`${report.target}\`  `, `Seed: ${report.seed}  `, `Score: **${fmt(report.score)} / ${fmt(report.maxScore)}**`, ''];
  const env = environmentErrorLines(report);
  if (env.length > 0) out.push(`## ${ENV_HEADING}`, '', ...env.map((l) => `- ${mdCell(l)}`), '');
  for (const e of report.exercises) {
    out.push(`## ${e.exercise}: ${fmt(e.score)} / ${fmt(e.maxScore)}`, '', '| test | points | status | feedback |', '|---|---|---|---|');
    for (const t of e.tests) {
      const name = t.hidden ? `${t.name} (hidden)` : t.name;
      out.push(`| ${mdCell(name)} | ${fmt(t.points)}/${fmt(t.maxPoints)} | ${t.status} | ${mdCell(t.feedback)} |`);
    }
    out.push('');
    for (const n of e.notes) out.push(`- note: ${n}`);
    const plotDir = path.join(reportsDir, e.exercise);
    const plots = fs.existsSync(plotDir) ? fs.readdirSync(plotDir).filter((f) => f.endsWith('.png')).sort() : [];
    if (plots.length > 0) {
      out.push('', 'Plots from the last `course train` run:', '');
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
