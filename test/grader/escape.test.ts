/**
 * Feedback is plain text everywhere (issue 21, item 5). A planted submission
 * (test/fixtures/injection) throws raw HTML, Markdown (tracking image, javascript: link, a fake
 * "Score" heading), terminal escapes and a 10 MB message; report.md, results.json (its Markdown
 * `output` and each test's text `output`) and the terminal table must show it as inert text, and
 * the 10 MB message must be cut in the worker. The paths a graded run does not reach here (a load
 * error, notes, environment errors, the target's name) are checked on a made-up report.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeTarget } from '../../lib/grader/grade.js';
import { escapeMarkdown, plainLine } from '../../lib/grader/plain-text.js';
import { formatMarkdown, formatTable, gradescopeOutput, toGradescope, writeReports } from '../../lib/grader/report.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import type { GradeReport } from '../../lib/grader/types.js';
import { materializeFixture } from '../support/grader-fixtures.js';

const EXERCISE = '01-ffnn-from-scratch';
const PAYLOAD =
  '<img src=x onerror=alert(1)></details><script>alert(2)</script> ![t](https://tracker.invalid/p.png) [help](javascript:alert(3)) \u001b[2J\u001b]8;;https://evil.invalid/\u0007click\u001b]8;;\u0007 \u202e';

/** Everything that would act as markup or as a terminal command. */
function expectInertMarkdown(md: string, where: string): void {
  expect(md, where).not.toMatch(/<(img|script|\/details|b)\b/i);
  expect(md, where).not.toMatch(/!\[[^\]]*\]\(/); // an image
  expect(md, where).not.toMatch(/(^|[^\\])\]\(javascript:/im); // a link (an escaped \] is literal text)
  expect(md, where).not.toMatch(/^\s*#+\s*Score/im); // a heading
  expectNoControls(md, where);
}

function expectNoControls(text: string, where: string): void {
  // eslint-disable-next-line no-control-regex
  expect(text, where).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
}

describe('feedback is plain text', () => {
  it('plainLine shows control characters as escapes and cuts long text; escapeMarkdown leaves no markup', () => {
    expect(plainLine('a\u001b[2Jb\nc\u0007')).toBe('a\\x1b[2Jb c\\x07');
    expect(plainLine('x'.repeat(5000), 100)).toMatch(/^x{100}… \(4900 more characters\)$/);
    const md = escapeMarkdown(`# Score: 56/56 ${PAYLOAD} | cell`);
    expectInertMarkdown(md, 'escapeMarkdown');
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(md).toContain('\\|');
  });

  it('every part of a report a submission can write into is escaped (load error, notes, environment errors, target)', () => {
    const report: GradeReport = {
      target: `/subs/${PAYLOAD}`,
      seed: 1,
      score: 0,
      maxScore: 2,
      seconds: 1,
      exercises: [
        {
          exercise: EXERCISE,
          score: 0,
          maxScore: 2,
          seconds: 1,
          notes: [`a test crashed: ${PAYLOAD}`],
          loadError: `SyntaxError: ${PAYLOAD}`,
          tests: [
            { exercise: EXERCISE, name: 't1', points: 0, maxPoints: 1, status: 'failed', feedback: `not run: the submission failed to load`, hidden: false },
            { exercise: EXERCISE, name: 't2', points: 0, maxPoints: 1, status: 'failed', feedback: `# Score: 2/2 ${PAYLOAD}`, hidden: false, environmentError: `Error: ${PAYLOAD}` },
          ],
        },
      ],
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'escape-'));
    try {
      expectInertMarkdown(formatMarkdown(report, dir, dir), 'report.md');
      expectInertMarkdown(gradescopeOutput(report), 'results.json output');
      const gs = toGradescope(report);
      for (const t of gs.tests) expectNoControls(t.output, `results.json ${t.name}`);
      expectNoControls(JSON.stringify(gs.tests.map((t) => t.extra_data)), 'extra_data');
      expectNoControls(formatTable(report), 'terminal table');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a planted submission throwing HTML, Markdown, terminal escapes and 10 MB messages: inert everywhere, the big message cut in the worker', async () => {
    const target = fs.mkdtempSync(path.join(os.tmpdir(), 'injection-'));
    const out = path.join(target, 'out');
    try {
      materializeFixture(path.join(PROJECT_ROOT, 'test/fixtures/injection'), EXERCISE, target, PROJECT_ROOT);
      const report = await gradeTarget({ target, only: [EXERCISE], seed: 1234, log: () => {} });
      expect(report.score).toBe(0);
      const files = writeReports(report, out);
      expectInertMarkdown(fs.readFileSync(files.markdown, 'utf8'), 'report.md');
      const results = JSON.parse(fs.readFileSync(files.results, 'utf8')) as ReturnType<typeof toGradescope>;
      expectInertMarkdown(results.output, 'results.json output');
      for (const t of results.tests) expectNoControls(t.output, `results.json ${t.name}`);
      const table = formatTable(report);
      expectNoControls(table, 'terminal table');
      const tests = report.exercises[0]!.tests;
      // the escapes are shown, not dropped: the feedback still says what was thrown
      const counted = tests.find((t) => t.name.includes('counts 109,386'))!;
      expect(counted.feedback).toContain('<img src=x onerror=alert(1)>');
      expect(counted.feedback).toContain('\\x1b[2J');
      // the 10 MB message reached the grader already cut to ~2000 characters by the harness in
      // the worker (the reporter's own cut is 4000; uncut, this would say ~10 million)
      const perceptron = tests.filter((t) => t.name.startsWith('task 1: perceptron > learns'));
      expect(perceptron.length).toBeGreaterThan(0);
      for (const t of perceptron) expect(t.feedback).toMatch(/x… \(1\d{3} more characters\) \(at index\.ts:\d+:\d+, in trainPerceptron\)( — hint: .*)?$/);
      expect(fs.statSync(files.results).size).toBeLessThan(200_000);
    } finally {
      fs.rmSync(target, { recursive: true, force: true });
    }
  }, 600_000);
});
